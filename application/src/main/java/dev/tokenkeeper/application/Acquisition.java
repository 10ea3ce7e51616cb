package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.api.TokenEvent;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * What one flight does to get a token, as a future of its {@link Result}; it completes no caller's
 * future (that is {@link SingleFlight}'s). In order: a servable token another flight installed
 * meanwhile; the shared tier's entry; a remembered permanent failure (checked after the store: a
 * token another instance put there is served, and reading it sends no request); then, with a
 * shared tier, the {@link LeaseCoordinator lease}; then the {@link GrantRunner grant}. Grant results
 * are handed on on a worker thread, so that saving never runs on a client's I/O thread. Thread-safe.
 */
final class Acquisition {

    /**
     * How a flight ended: a token ({@code entry}), with what the grant reported ({@code acquired},
     * null if it came from the near cache or the store) and the lease still held ({@code lease}, null
     * if none), or a remembered permanent failure's copy to fail with ({@code failFast}).
     */
    record Result(Entry entry, GrantRunner.Acquired acquired, Lease lease, TokenException failFast) {
        static Result served(Entry e) {
            return new Result(e, null, null, null);
        }

        static Result granted(GrantRunner.Acquired a, Lease lease) {
            return new Result(a.entry(), a, lease, null);
        }

        static Result failFast(TokenException copy) {
            return new Result(null, null, null, copy);
        }
    }

    private final SharedTier tier;
    private final LeaseCoordinator leases;
    private final GrantRunner grants;
    private final StatsCounter stats;
    private final EventSink events;
    private final InstantSource clock;
    private final Executor executor;

    Acquisition(SharedTier tier, LeaseCoordinator leases, GrantRunner grants, StatsCounter stats, EventSink events,
            InstantSource clock, Executor executor) {
        this.tier = tier;
        this.leases = leases;
        this.grants = grants;
        this.stats = stats;
        this.events = events;
        this.clock = clock;
        this.executor = executor;
    }

    CompletableFuture<Result> run(KeyState s, boolean background) {
        try {
            long now = clock.millis();
            Entry current = s.entry.get();
            if (current != null && current.servableAt(now, background)) {
                // another acquisition installed a servable token between the caller's look and now
                return CompletableFuture.completedFuture(Result.served(current));
            }
            Entry stored = tier.load(s);
            if (stored != null && stored.canReplace(current, now, background)) {
                return CompletableFuture.completedFuture(storeHit(s, stored));
            }
            FailureMemory.Remembered remembered = FailureMemory.remembered(s, now);
            if (remembered != null) {
                return CompletableFuture.completedFuture(Result.failFast(remembered.copy(now)));
            }
            if (!tier.isShared()) {
                return grant(s, current, background, null);
            }
            return leases.coordinate(s, current, background).thenCompose(o -> o.found() != null
                    ? CompletableFuture.completedFuture(storeHit(s, o.found()))
                    : grant(s, current, background, o.lease()));
        } catch (Throwable t) {
            return CompletableFuture.failedFuture(t);
        }
    }

    private Result storeHit(KeyState s, Entry stored) {
        stats.recordStoreHit();
        events.onEvent(new TokenEvent.StoreHit(s.key));
        return Result.served(stored);
    }

    private CompletableFuture<Result> grant(KeyState s, Entry current, boolean background, Lease lease) {
        return grants.acquire(s, current, background).handleAsync((acquired, error) -> {
            if (error != null) {
                // the lease is released before waiters are woken: a caller that retries at once
                // must find it free, not sit out the lease wait
                tier.release(s, lease);
                throw error instanceof CompletionException ce ? ce : new CompletionException(error);
            }
            return Result.granted(acquired, lease);
        }, executor);
    }
}
