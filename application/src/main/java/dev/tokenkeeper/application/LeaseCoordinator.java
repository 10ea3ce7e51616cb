package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.api.TokenEvent;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Cluster single flight through the store's lease, for one flight at a time: <em>try</em> the lease;
 * <em>won</em>: re-read the store (the previous holder may just have saved) and either hand back its
 * token or go on to the grant holding the lease; <em>lost</em>: <em>wait</em>, bounded, polling for
 * the holder's token; when the wait runs out <em>retry</em> the lease; after {@link #ROUNDS} lost
 * rounds, or when the store cannot be read, go <em>direct</em> to the grant without a lease. Each
 * flight's walk is a {@link Wait} object holding its own round, deadline and poll delay. Waits run
 * on the injected ticker and scheduler. Thread-safe.
 */
final class LeaseCoordinator {

    /** Lost lease rounds before acquiring without one. */
    static final int ROUNDS = 2;
    private static final long FIRST_POLL_MILLIS = 20;
    private static final long MAX_POLL_MILLIS = 500;

    /**
     * Where the lease walk ended: {@code found} the holder's (or a previous holder's) token, else go
     * to the grant, holding {@code lease} (null: without one).
     */
    record Outcome(Entry found, Lease lease) {
        static Outcome found(Entry e) {
            return new Outcome(e, null);
        }

        static Outcome grant(Lease lease) {
            return new Outcome(null, lease);
        }
    }

    private final SharedTier tier;
    private final EventSink events;
    private final InstantSource clock;
    private final Ticker ticker;
    private final ScheduledExecutorService scheduler;
    private final Executor executor;
    private final Duration ttl;
    private final Duration wait;

    LeaseCoordinator(SharedTier tier, EventSink events, InstantSource clock, Ticker ticker,
            ScheduledExecutorService scheduler, Executor executor, Duration ttl, Duration wait) {
        this.tier = tier;
        this.events = events;
        this.clock = clock;
        this.ticker = ticker;
        this.scheduler = scheduler;
        this.executor = executor;
        this.ttl = ttl;
        this.wait = wait;
    }

    /** Walks the lease for {@code s}, whose current entry (null if none) is {@code current}. */
    CompletableFuture<Outcome> coordinate(KeyState s, Entry current, boolean background) {
        Wait w = new Wait(s, current, background);
        try {
            w.tryLease();
        } catch (Throwable t) {
            w.outcome.completeExceptionally(t);
        }
        return w.outcome;
    }

    /** One flight's walk through the lease: its round, the deadline of the current wait, the next poll's delay. */
    private final class Wait {
        final KeyState s;
        final Entry current;
        final boolean background;
        final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        int round = 1;
        long deadlineNanos;
        long delayMillis;

        Wait(KeyState s, Entry current, boolean background) {
            this.s = s;
            this.current = current;
            this.background = background;
        }

        void tryLease() {
            Optional<Lease> lease;
            try {
                lease = tier.tryLease(s, ttl);
            } catch (SharedTier.StoreUnavailable e) {
                outcome.complete(Outcome.grant(null));
                return;
            }
            if (lease.isPresent()) {
                won(lease.get());
                return;
            }
            events.onEvent(new TokenEvent.LeaseLost(s.key));
            if (round > ROUNDS) {
                events.onEvent(new TokenEvent.LeaseWaitTimedOut(s.key));
                outcome.complete(Outcome.grant(null));
                return;
            }
            deadlineNanos = ticker.read() + wait.toNanos();
            delayMillis = FIRST_POLL_MILLIS;
            schedulePoll();
        }

        private void won(Lease lease) {
            events.onEvent(new TokenEvent.LeaseWon(s.key));
            Entry stored = tier.load(s);
            if (stored != null && stored.canReplace(current, clock.millis(), background)) {
                tier.release(s, lease);
                outcome.complete(Outcome.found(stored));
            } else {
                outcome.complete(Outcome.grant(lease));
            }
        }

        private void schedulePoll() {
            try {
                scheduler.schedule(this::pollOnWorker, delayMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                outcome.completeExceptionally(Failures.closed());
            }
        }

        private void pollOnWorker() {
            try {
                executor.execute(this::poll);
            } catch (RejectedExecutionException e) {
                outcome.completeExceptionally(Failures.closed());
            }
        }

        /** Waits, bounded, for the lease holder's token to appear in the store. */
        private void poll() {
            try {
                Entry stored;
                try {
                    stored = tier.loadOrThrow(s);
                } catch (SharedTier.StoreUnavailable e) {
                    // the holder cannot publish into a store we cannot read: stop waiting, acquire directly
                    outcome.complete(Outcome.grant(null));
                    return;
                }
                if (stored != null && stored.canReplace(current, clock.millis(), background)) {
                    outcome.complete(Outcome.found(stored));
                } else if (ticker.read() - deadlineNanos >= 0) {
                    events.onEvent(new TokenEvent.LeaseWaitTimedOut(s.key));
                    round++;
                    tryLease();
                } else {
                    delayMillis = Math.min(MAX_POLL_MILLIS, delayMillis * 2);
                    schedulePoll();
                }
            } catch (Throwable t) {
                outcome.completeExceptionally(t);
            }
        }
    }
}
