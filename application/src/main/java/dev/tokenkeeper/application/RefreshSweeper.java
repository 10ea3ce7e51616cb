package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.api.TokenEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The periodic sweep. Each tick it looks only at keys that are refresh-due: it takes the refresh
 * points that have come due from the {@link RefreshIndex} and starts the background refresh of each
 * recently used key among them (proactive refresh), so that callers almost never see a refresh-due
 * token; a due key stays on its list (retried each tick, within the failure backoff) until its entry
 * is replaced, dropped or evicted, or it goes idle. Less often, every tenth of the idle timeout, a
 * pass over every key notes which keys were used since the last pass and evicts the state of a key
 * left idle for the idle timeout once it holds nothing worth keeping (no servable token, no flight,
 * no remembered permanent failure), so that the map of keys does not grow without end. Idle keys
 * are not refreshed until used again (a caller that finds one refresh-due starts its refresh).
 * Thread-safe: one sweep runs at a time.
 */
final class RefreshSweeper {
    private final NearCache cache;
    private final SingleFlight flights;
    private final RefreshIndex index;
    private final EventSink events;
    private final InstantSource clock;
    private final long idleMillis;
    private final long passEveryMillis;
    private final boolean proactive;
    /** Entries that have come due and still wait for their replacement; owned by the sweep. */
    private final List<RefreshIndex.Due> due = new ArrayList<>();
    private long nextPassMillis = Long.MIN_VALUE;
    /** Keys looked at by sweeps so far, for tests: it must not grow with idle keys. */
    private long visits;

    RefreshSweeper(NearCache cache, SingleFlight flights, RefreshIndex index, EventSink events, InstantSource clock,
            Duration idleTimeout, boolean proactive) {
        this.cache = cache;
        this.flights = flights;
        this.index = index;
        this.events = events;
        this.clock = clock;
        this.idleMillis = idleTimeout.toMillis();
        this.passEveryMillis = Math.max(1, idleMillis / 10);
        this.proactive = proactive;
    }

    /** The periodic run: refreshes (when proactive refresh is on) and evicts; never lets the sweep die. */
    void run() {
        try {
            sweep(proactive, true);
        } catch (RuntimeException e) {
            // keep sweeping; failures of refreshes surface through acquisition events
        }
    }

    /** Starts a background refresh for every recently used key that is refresh-due now; returns how many. */
    int refreshDue() {
        return sweep(true, false);
    }

    /** How many refresh points the index holds. */
    int indexed() {
        return index.size();
    }

    /** Keys looked at by sweeps so far. */
    synchronized long visits() {
        return visits;
    }

    private synchronized int sweep(boolean refresh, boolean evict) {
        long now = clock.millis();
        if (!evict) { // the test hook: record recent use as every periodic sweep once did, evict nothing
            pass(now, false);
        } else if (now >= nextPassMillis) {
            pass(now, true);
            nextPassMillis = now + passEveryMillis;
        }
        index.purgeIfLarge(cache);
        for (RefreshIndex.Due d = index.pollDue(now); d != null; d = index.pollDue(now)) {
            due.add(d);
        }
        int started = 0;
        for (Iterator<RefreshIndex.Due> it = due.iterator(); it.hasNext(); ) {
            RefreshIndex.Due d = it.next();
            KeyState s = d.state();
            visits++;
            Entry e = s.entry.get();
            if (e != d.entry() || cache.get(s.key) != s) { // replaced (and indexed anew), dropped or evicted
                it.remove();
                continue;
            }
            if (!s.used && now - s.lastUsedMillis > idleMillis) { // idle: its next caller starts the refresh
                it.remove();
                continue;
            }
            if (refresh && s.inFlight.get() == null && FailureMemory.backgroundAllowed(s, now)) {
                events.onEvent(new TokenEvent.RefreshScheduled(s.key, Instant.ofEpochMilli(now)));
                flights.join(s, now < e.expiresAtMillis);
                started++;
            }
        }
        return started;
    }

    /** The pass over every key: records recent use, evicts idle keys that hold nothing. */
    private void pass(long now, boolean evict) {
        for (KeyState s : cache.states()) {
            visits++;
            if (s.used) {
                s.used = false;
                s.lastUsedMillis = now;
            } else if (evict && now - s.lastUsedMillis > idleMillis && holdsNothing(s, now)) {
                cache.evict(s);
            }
        }
    }

    /** Whether evicting {@code s} loses nothing a caller could be served from or failed with. */
    private static boolean holdsNothing(KeyState s, long now) {
        Entry e = s.entry.get();
        return (e == null || now >= e.expiresAtMillis) && FailureMemory.failFastUntil(s, now) == null;
    }
}
