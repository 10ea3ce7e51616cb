package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.api.TokenEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/**
 * The periodic sweep over every key: notes which keys were used since the last sweep; starts the
 * background refresh of each recently used key that has become refresh-due (proactive refresh), so
 * that callers almost never see a refresh-due token; and evicts the state of a key left idle for the
 * idle timeout once it holds nothing worth keeping (no servable token, no flight, no remembered
 * permanent failure), so that the map of keys does not grow without end. Idle keys are not refreshed
 * until used again. Thread-safe.
 */
final class RefreshSweeper {
    private final NearCache cache;
    private final SingleFlight flights;
    private final EventSink events;
    private final InstantSource clock;
    private final long idleMillis;
    private final boolean proactive;

    RefreshSweeper(NearCache cache, SingleFlight flights, EventSink events, InstantSource clock, Duration idleTimeout,
            boolean proactive) {
        this.cache = cache;
        this.flights = flights;
        this.events = events;
        this.clock = clock;
        this.idleMillis = idleTimeout.toMillis();
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

    private int sweep(boolean refresh, boolean evict) {
        long now = clock.millis();
        int started = 0;
        for (KeyState s : cache.states()) {
            if (s.used) {
                s.used = false;
                s.lastUsedMillis = now;
            } else if (now - s.lastUsedMillis > idleMillis) {
                if (evict && holdsNothing(s, now)) {
                    cache.evict(s);
                }
                continue;
            }
            Entry e = s.entry.get();
            if (refresh && e != null && now >= e.refreshAtMillis && s.inFlight.get() == null
                    && FailureMemory.backgroundAllowed(s, now)) {
                events.onEvent(new TokenEvent.RefreshScheduled(s.key, Instant.ofEpochMilli(now)));
                flights.join(s, now < e.expiresAtMillis);
                started++;
            }
        }
        return started;
    }

    /** Whether evicting {@code s} loses nothing a caller could be served from or failed with. */
    private static boolean holdsNothing(KeyState s, long now) {
        Entry e = s.entry.get();
        return (e == null || now >= e.expiresAtMillis) && FailureMemory.failFastUntil(s, now) == null;
    }
}
