package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.api.TokenEvent;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One acquisition per key at a time, and the only code that completes or fails a flight: every
 * concurrent caller for a key joins the key's in-flight future; the flight runs an
 * {@link Acquisition} on a worker and settles from its result. A token from the identity provider
 * goes to the near cache and every waiting caller first, and only then to the shared tier, and the
 * lease is released after the save (a hung store never holds a caller that already has its token).
 * Thread-safe.
 */
final class SingleFlight {
    private final Acquisition acquisition;
    private final SharedTier tier;
    private final FailureMemory failures;
    private final StatsCounter stats;
    private final Ticker ticker;
    private final EventSink events;
    private final InstantSource clock;
    private final Executor executor;
    /** Saves still running for tokens already handed to callers; {@link #awaitSaves} waits for them. */
    private final Set<CompletableFuture<Void>> pendingSaves = ConcurrentHashMap.newKeySet();

    /** The refresh points of installed entries, for the sweep. */
    private final RefreshIndex index;

    SingleFlight(Acquisition acquisition, SharedTier tier, FailureMemory failures, StatsCounter stats, EventSink events,
            InstantSource clock, Ticker ticker, Executor executor, RefreshIndex index) {
        this.index = index;
        this.acquisition = acquisition;
        this.tier = tier;
        this.failures = failures;
        this.stats = stats;
        this.ticker = ticker;
        this.events = events;
        this.clock = clock;
        this.executor = executor;
    }

    /**
     * The flight for a caller that found no servable token at {@code now}. Without a shared tier a
     * remembered permanent failure fails it at once, without a flight (with one, the flight looks
     * there first). A background refresh started while the token was still servable may have spent
     * its attempts before this caller needed a token: if it fails, the caller gets one fresh (still
     * single) flight of its own rather than inheriting a failure it did not ask for.
     */
    CompletableFuture<AccessToken> forCaller(KeyState s, long now) {
        if (!tier.isShared()) {
            FailureMemory.Remembered remembered = FailureMemory.remembered(s, now);
            if (remembered != null) {
                return CompletableFuture.failedFuture(remembered.copy(now));
            }
        }
        CompletableFuture<AccessToken> flight = join(s, false);
        if (flight == s.backgroundFlight) {
            return flight.exceptionallyCompose(error -> join(s, false));
        }
        return flight;
    }

    /** Starts the background refresh of a refresh-due key unless one runs or its back-off has not passed. */
    void refreshInBackground(KeyState s, long now) {
        if (!FailureMemory.backgroundAllowed(s, now)) {
            return;
        }
        CompletableFuture<AccessToken> running = s.inFlight.get();
        if (running == null) {
            join(s, true);
        } else if (running.isDone()) {
            // its token is out but it still saves and holds the lease: it starts the refresh when it
            // ends; if it ended just now, before seeing this ask, start it here (join lets one win)
            s.refreshAskedDuringSave = true;
            if (s.inFlight.get() == null) {
                join(s, true);
            }
        }
    }

    /**
     * The key's flight: the running one, or a new one. A flight that has handed out its token but is
     * still saving it and holding the lease stays the key's flight for a background refresh, which
     * it satisfies (its token is fresh, and a refresh started now would only lose the lease to it
     * and wait for a newer token that never comes); a caller that needs a token starts a new one.
     */
    CompletableFuture<AccessToken> join(KeyState s, boolean background) {
        while (true) {
            CompletableFuture<AccessToken> running = s.inFlight.get();
            if (running != null && (background || !running.isDone())) {
                return running;
            }
            CompletableFuture<AccessToken> mine = new CompletableFuture<>();
            if (s.inFlight.compareAndSet(running, mine)) {
                s.backgroundFlight = background ? mine : null;
                if (background) {
                    stats.recordBackgroundRefresh();
                }
                long startedNanos = ticker.read();
                try {
                    executor.execute(() -> acquisition.run(s, background)
                            .whenComplete((result, error) -> settle(s, mine, background, startedNanos, result, error)));
                } catch (RejectedExecutionException ex) {
                    fail(s, mine, startedNanos, Failures.closed());
                }
                return mine;
            }
        }
    }

    private void settle(KeyState s, CompletableFuture<AccessToken> mine, boolean background, long startedNanos,
            Acquisition.Result result, Throwable error) {
        if (error != null) {
            fail(s, mine, startedNanos, error);
        } else if (result.failFast() != null) {
            s.inFlight.compareAndSet(mine, null);
            mine.completeExceptionally(result.failFast());
        } else if (result.acquired() == null) {
            complete(s, mine, result.entry());
        } else {
            try {
                serveThenSave(s, mine, result, background, startedNanos);
            } catch (Throwable t) {
                if (!mine.isDone()) { // a failure after installing changes nothing for callers
                    fail(s, mine, startedNanos, t);
                }
            }
        }
    }

    /**
     * Hands a token just received from the IdP to the near cache and to every waiting caller first,
     * and only then saves it and releases the lease: a store that hangs costs the store's timeout on
     * this worker thread, never the callers' time. The lease is released after the save, so that
     * instances waiting for it find the token in the store.
     */
    private void serveThenSave(KeyState s, CompletableFuture<AccessToken> mine, Acquisition.Result result,
            boolean background, long startedNanos) {
        stats.recordAcquisitionSuccess(ticker.read() - startedNanos);
        Entry entry = result.entry();
        GrantRunner.Acquired acquired = result.acquired();
        CompletableFuture<Void> saving = new CompletableFuture<>();
        pendingSaves.add(saving); // before the caller can have its token and close the manager
        // whether it arrived refresh-due is decided now, at receipt: once callers have the token, the
        // clock may move on (a caller that waits long) and must not make a fresh token look late
        boolean arrivedRefreshDue = !background && clock.millis() >= entry.refreshAtMillis;
        try {
            install(s, entry);
            if (!tier.isShared()) {
                s.inFlight.compareAndSet(mine, null); // nothing to save nor release: the flight ends here
            }
            mine.complete(entry.token); // with a shared tier, the flight stays in s.inFlight until its lease is released
            // after installing: a listener that reacts by asking for the token gets the new one
            events.onEvent(new TokenEvent.AcquisitionSucceeded(s.key, acquired.grantType(), acquired.latency(),
                    entry.token.expiresAt(), acquired.attempts(), background));
            if (s.entry.get() == entry) { // not already replaced or invalidated
                tier.save(s, entry.token);
                if (s.entry.get() != entry) {
                    // invalidated (or replaced) while it was saved: a token a resource server has just
                    // rejected must not stay in the store for the next miss to load back
                    tier.deleteIfHolds(s, entry.token);
                }
            }
        } finally {
            try {
                tier.release(s, result.lease());
            } finally {
                s.inFlight.compareAndSet(mine, null);
                pendingSaves.remove(saving);
                saving.complete(null);
            }
        }
        boolean asked = s.refreshAskedDuringSave;
        s.refreshAskedDuringSave = false;
        if ((arrivedRefreshDue || asked) && s.entry.get() == entry) {
            // it arrived so late that it is already refresh-due, or a caller found it refresh-due
            // while it was saved: start its refresh now rather than at the next call (once: a
            // background refresh that arrives late does not start another)
            refreshInBackground(s, clock.millis());
        }
    }

    /**
     * Installs a token put in from outside ({@link Imports}); a flight running now may still replace
     * it with the token it brings, which is newer.
     */
    void installImported(KeyState s, Entry entry) {
        install(s, entry);
        s.offerSpare(entry.token, clock.instant()); // an expired import is kept for its refresh token
    }

    private void complete(KeyState s, CompletableFuture<AccessToken> mine, Entry entry) {
        install(s, entry);
        s.inFlight.compareAndSet(mine, null);
        mine.complete(entry.token);
    }

    private void install(KeyState s, Entry entry) {
        s.entry.set(entry);
        index.installed(s, entry);
        s.spareRefresh = null;
        failures.succeeded(s);
    }

    private void fail(KeyState s, CompletableFuture<AccessToken> mine, long startedNanos, Throwable error) {
        TokenException te = Failures.toTokenException(error);
        stats.recordAcquisitionFailure(ticker.read() - startedNanos);
        failures.failed(s, te, clock.millis()); // before the flight ends: no caller slips in and sends again
        s.inFlight.compareAndSet(mine, null);
        mine.completeExceptionally(te);
    }

    /** Waits, at most {@code max}, for the saves of tokens already handed to callers. */
    void awaitSaves(Duration max) {
        try {
            CompletableFuture.allOf(pendingSaves.toArray(CompletableFuture[]::new))
                    .get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // a store that ignores its own timeout: stop anyway
        }
    }
}
