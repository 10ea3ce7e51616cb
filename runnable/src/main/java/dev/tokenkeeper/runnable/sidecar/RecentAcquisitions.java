package dev.tokenkeeper.runnable.sidecar;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenEventListener;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The last few acquisitions of each configured client, for the status page's timeline: a bounded
 * ring buffer per client fed by the manager's events ({@link TokenEvent.AcquisitionSucceeded} and
 * {@link TokenEvent.AcquisitionFailed}; every other event is ignored). Memory is bounded twice:
 * {@code capacity} entries per client, and only the clients named at construction (an event about
 * any other client is dropped, as {@link dev.tokenkeeper.bootstrap.metrics.TokenMetrics} tags it
 * "other"). An entry holds what the event holds, so never a secret.
 *
 * <p>Thread-safe: each client's buffer is guarded by its own lock, held only to add or copy a few
 * entries, so the manager's threads never wait long on a page render.
 */
public final class RecentAcquisitions implements TokenEventListener {

    /** How many acquisitions per client the sidecar keeps: enough for a glance, small enough to render every few seconds. */
    public static final int DEFAULT_CAPACITY = 10;

    private final InstantSource clock;
    private final int capacity;
    private final Map<String, Deque<Acquisition>> byClient = new LinkedHashMap<>();

    /**
     * One finished acquisition.
     *
     * @param at when the event arrived (the manager's clock)
     * @param success whether a token came of it
     * @param kind the failure kind, or null on success
     * @param latency from the start of the grant to its outcome, retries included
     * @param attempts how many attempts it took
     * @param background whether a scheduled refresh ran it (no caller waited)
     * @param grantType the grant, e.g. {@code client_credentials}
     * @param expiresAt the new token's expiry on success, else null
     */
    public record Acquisition(Instant at, boolean success, FailureKind kind, Duration latency, int attempts,
            boolean background, String grantType, Instant expiresAt) {}

    /**
     * @param clients the configured client names, the only ones recorded
     * @param clock the clock that stamps each entry (the manager's)
     * @param capacity entries kept per client, at least 1
     */
    public RecentAcquisitions(Set<String> clients, InstantSource clock, int capacity) {
        Objects.requireNonNull(clients, "clients");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
        clients.forEach(c -> byClient.put(c, new ArrayDeque<>(capacity)));
    }

    @Override
    public void onEvent(TokenEvent event) {
        Acquisition a;
        if (event instanceof TokenEvent.AcquisitionSucceeded e) {
            a = new Acquisition(clock.instant(), true, null, e.latency(), e.attempts(), e.background(), e.grantType(),
                    e.expiresAt());
        } else if (event instanceof TokenEvent.AcquisitionFailed e) {
            a = new Acquisition(clock.instant(), false, e.kind(), e.latency(), e.attempts(), e.background(),
                    e.grantType(), null);
        } else {
            return;
        }
        Deque<Acquisition> ring = byClient.get(event.client()); // the map is never modified after construction
        if (ring == null) {
            return;
        }
        synchronized (ring) {
            if (ring.size() == capacity) {
                ring.removeFirst();
            }
            ring.addLast(a);
        }
    }

    /** The recorded acquisitions of {@code client}, newest first; empty for a client not configured. */
    public List<Acquisition> of(String client) {
        Deque<Acquisition> ring = byClient.get(client);
        if (ring == null) {
            return List.of();
        }
        List<Acquisition> copy;
        synchronized (ring) {
            copy = new ArrayList<>(ring);
        }
        java.util.Collections.reverse(copy);
        return List.copyOf(copy);
    }
}
