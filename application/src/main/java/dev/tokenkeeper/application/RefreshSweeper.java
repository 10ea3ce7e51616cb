package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.api.TokenEvent;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Collection;

/**
 * The proactive refresh: periodically starts the background refresh of every recently used key that
 * has become refresh-due, so that callers almost never see a refresh-due token. Keys unused for the
 * idle timeout are left alone until used again. Thread-safe.
 */
final class RefreshSweeper {
    private final Collection<KeyState> states;
    private final SingleFlight flights;
    private final EventSink events;
    private final InstantSource clock;
    private final long idleMillis;

    RefreshSweeper(Collection<KeyState> states, SingleFlight flights, EventSink events, InstantSource clock,
            Duration idleTimeout) {
        this.states = states;
        this.flights = flights;
        this.events = events;
        this.clock = clock;
        this.idleMillis = idleTimeout.toMillis();
    }

    /** Starts a background refresh for every recently used key that is refresh-due now; returns how many. */
    int refreshDue() {
        long now = clock.millis();
        int started = 0;
        for (KeyState s : states) {
            if (s.used) {
                s.used = false;
                s.lastUsedMillis = now;
            } else if (now - s.lastUsedMillis > idleMillis) {
                continue;
            }
            Entry e = s.entry.get();
            if (e != null && now >= e.refreshAtMillis && s.inFlight.get() == null
                    && FailureMemory.backgroundAllowed(s, now)) {
                events.onEvent(new TokenEvent.RefreshScheduled(s.key, Instant.ofEpochMilli(now)));
                flights.join(s, now < e.expiresAtMillis);
                started++;
            }
        }
        return started;
    }

    /** The periodic form: never lets the sweep die; failures surface through acquisition events. */
    void sweep() {
        try {
            refreshDue();
        } catch (RuntimeException e) {
            // keep sweeping
        }
    }
}
