package dev.tokenkeeper.application;

import dev.tokenkeeper.application.internal.StoreKeys;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Freshness;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.port.Grant;
import dev.tokenkeeper.domain.port.Lease;
import dev.tokenkeeper.domain.port.SealedToken;
import dev.tokenkeeper.domain.port.StoreKey;
import dev.tokenkeeper.domain.port.TokenEvent;
import dev.tokenkeeper.domain.port.TokenEventListener;
import dev.tokenkeeper.domain.port.TokenProvider;
import dev.tokenkeeper.domain.port.TokenRequest;
import dev.tokenkeeper.domain.port.TokenResponse;
import dev.tokenkeeper.domain.port.TokenStatus;
import dev.tokenkeeper.domain.port.TokenStore;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.random.RandomGenerator;

/**
 * Hands out valid access tokens: the tokenkeeper core.
 *
 * <h2>Request path</h2>
 * <ol>
 *   <li><b>Near cache, fresh</b>: returned at once; no I/O, no lock, no allocation.</li>
 *   <li><b>Near cache, refresh-due</b>: returned at once; one background refresh starts for the key
 *       (never more than one per key, and not again before a back-off after a failure).</li>
 *   <li><b>Miss or expired</b>: every concurrent caller for the key joins one in-flight acquisition.
 *       It reads the store and opens the sealed entry; if that is not servable it takes the store's
 *       lease for the key (cluster single-flight). The holder re-reads the store, runs the grant
 *       (refresh-token grant when the token has a refresh token, falling back to the client's primary
 *       grant on {@code invalid_grant}), hands the token to the near cache and every waiting caller,
 *       and only then seals and saves it and releases the lease (a hung store never holds a caller
 *       that already has its token). Instances that lost the lease wait, bounded, for the holder's
 *       token to appear; when the wait runs out they try the lease again, and then acquire on their
 *       own.</li>
 * </ol>
 * A store that fails or holds garbage degrades to a cache miss plus an event. Expiry is counted from
 * when the token request was sent; the {@link ExpiryPolicy} decides freshness against the injected
 * clock. Every wait is bounded: the grant timeout, the lease time-to-live, the lease wait and the
 * caller's acquire timeout.
 *
 * <h2>Late answers</h2>
 * A token's life counts from when its request was sent. An answer that arrives so late that the
 * policy already calls the token <em>expired</em> is never served nor stored: the manager sends one
 * immediate new request and serves that token; if it too arrives expired, the acquisition fails
 * with {@link FailureKind#TIMEOUT} (at most two requests, never a loop). An answer that arrives
 * refresh-due (usable, but past its refresh point) is served, and its background refresh starts at
 * once.
 *
 * <h2>Permanent failures</h2>
 * A permanent failure (a non-transient {@link FailureKind}: invalid_client, unauthorized_client,
 * invalid_scope, a bad configuration, ...) is remembered per key for a bounded time that doubles with
 * each repeat (see {@link Builder#permanentFailureBackoff}). Meanwhile callers that have no valid
 * token fail at once with a copy of it that says until when, and no request is sent, so that many
 * callers never turn into many rejected logins; a still-valid token keeps being served, and the
 * store is still read (a token another instance put there is served). The failure
 * counts toward the client's circuit breaker and shows in {@link #status(TokenKey)}. A success,
 * {@link #invalidate(TokenKey)} or {@link #forgetFailures(String)} ends it.
 *
 * <h2>Refresh tokens</h2>
 * A refresh token is kept, sealed, until its own expiry ({@code refresh_expires_in} where the server
 * sends it, else {@link Builder#refreshTokenLifetime}): the store keeps an entry until the later of
 * its token's and its refresh token's expiry. An entry whose access token has expired is never
 * served, but its refresh token is used for the next grant, so a later process refreshes instead
 * of logging in again.
 *
 * <h2>Proactive refresh</h2>
 * A periodic sweep starts the background refresh of every recently used key that has become
 * refresh-due, so that callers almost never see a refresh-due token, let alone wait. Keys unused for
 * the idle timeout are left alone until used again.
 *
 * <p>Thread-safe. Build one per application with {@link #builder()} and {@link #close()} it at shutdown;
 * it does not close the store or the endpoints it was given.
 */
public final class TokenManager implements TokenProvider, AutoCloseable {

    /** A blocked caller gives up after this long: long enough for a slow IdP and a few retries. */
    public static final Duration DEFAULT_ACQUIRE_TIMEOUT = Duration.ofSeconds(30);
    /** The lease outlives a grant that takes the whole {@link Resilience#DEFAULT_DEADLINE}, with a margin for the store write. */
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(20);
    /** Instances that lost the lease wait this long for the holder's token before trying the lease again. */
    public static final Duration DEFAULT_LEASE_WAIT = Duration.ofSeconds(20);
    /** First pause after a failed background refresh; doubled per failure up to the maximum. */
    public static final Duration DEFAULT_FAILURE_BACKOFF = Duration.ofSeconds(1);
    /** The longest pause between background refresh attempts. */
    public static final Duration MAX_FAILURE_BACKOFF = Duration.ofSeconds(30);
    /**
     * How long a permanent failure (wrong secret, scope not allowed, ...) is first remembered per key:
     * callers without a valid token fail at once with it instead of sending a request. Doubled per
     * repeated failure up to {@link #DEFAULT_MAX_PERMANENT_FAILURE_BACKOFF}.
     */
    public static final Duration DEFAULT_PERMANENT_FAILURE_BACKOFF = Duration.ofSeconds(1);
    /**
     * The longest a permanent failure is remembered: five minutes keeps a misconfigured client from
     * hammering (and being locked out by) the identity provider, and still notices a fix within
     * minutes without a restart ({@link #forgetFailures(String)} notices it at once).
     */
    public static final Duration DEFAULT_MAX_PERMANENT_FAILURE_BACKOFF = Duration.ofMinutes(5);
    /**
     * How long a refresh token is kept when the server does not say ({@code refresh_expires_in}): a
     * day covers the working day of a CLI user and a night's batch; keeping a dead refresh token costs
     * one {@code invalid_grant} and a fall-back to the primary grant, while keeping a sealed
     * credential at rest for weeks on a guess is not worth it. Configure it for longer-lived ones.
     */
    public static final Duration DEFAULT_REFRESH_TOKEN_LIFETIME = Duration.ofHours(24);
    /** How often the proactive refresh sweep looks for refresh-due keys. */
    public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofSeconds(1);
    /** Keys not used for this long are no longer refreshed proactively. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(30);

    /**
     * How long {@link #close()} waits for saves of tokens already handed to callers (a CLI prints its
     * token, then closes: the token must still reach the store). Each store call is bounded by the
     * store's own timeout; this only bounds a store that ignores it.
     */
    static final Duration CLOSE_SAVE_WAIT = Duration.ofSeconds(10);

    private static final int LEASE_ROUNDS = 2;
    private static final long FIRST_POLL_MILLIS = 20;
    private static final long MAX_POLL_MILLIS = 500;

    private final InstantSource clock;
    private final ExpiryPolicy policy;
    private final Map<String, ClientRegistration> clients;
    private final TokenStore store;
    private final TokenSealer sealer;
    private final TokenEventListener listener;
    private final GrantExecutor grants;
    private final Resilience resilience;
    private final Executor executor;
    private final ExecutorService ownedExecutor;
    private final ScheduledExecutorService scheduler;
    private final ScheduledFuture<?> sweep;
    private final Duration acquireTimeout;
    private final Duration leaseTtl;
    private final Duration leaseWait;
    private final Duration failureBackoff;
    private final Duration idleTimeout;
    private final Duration permanentFailureBackoff;
    private final Duration maxPermanentFailureBackoff;
    private final Duration refreshTokenLifetime;
    private final RandomGenerator random;
    private final ConcurrentHashMap<TokenKey, KeyState> states = new ConcurrentHashMap<>();
    /** Saves still running for tokens already handed to callers; {@link #close()} waits for them. */
    private final Set<CompletableFuture<Void>> pendingSaves = ConcurrentHashMap.newKeySet();

    private final boolean recordHits;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder storeHits = new LongAdder();
    private final LongAdder acquisitions = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder backgroundRefreshes = new LongAdder();

    private TokenManager(Builder b) {
        this.clock = b.clock;
        this.policy = b.policy;
        this.clients = Map.copyOf(b.clients);
        this.store = b.store;
        this.listener = safe(b.listener);
        this.acquireTimeout = b.acquireTimeout;
        this.leaseTtl = b.leaseTtl;
        this.leaseWait = b.leaseWait;
        this.failureBackoff = b.failureBackoff;
        this.idleTimeout = b.idleTimeout;
        this.permanentFailureBackoff = b.permanentFailureBackoff;
        this.maxPermanentFailureBackoff = b.maxPermanentFailureBackoff;
        this.refreshTokenLifetime = b.refreshTokenLifetime;
        this.random = b.random;
        this.recordHits = b.recordHits;
        if (store != null) {
            SealingKeys keys = b.sealingKeys;
            if (keys == null) {
                if (store.isPersistent()) {
                    throw new ConfigurationException("sealingKeys: the store " + store.getClass().getSimpleName()
                            + " is persistent, so tokens must be sealed with configured keys (a key generated "
                            + "now would make its entries unreadable after a restart and to other instances); "
                            + "generate one with SealingKeys.generateSpec(\"k1\")");
                }
                keys = SealingKeys.ephemeral();
            } else if (keys.isEphemeral() && store.isPersistent()) {
                throw new ConfigurationException("sealingKeys: ephemeral keys cannot seal entries of a persistent store");
            }
            this.sealer = new TokenSealer(keys);
        } else {
            this.sealer = null;
        }
        if (b.executor != null) {
            this.executor = b.executor;
            this.ownedExecutor = null;
        } else {
            this.ownedExecutor = Executors.newCachedThreadPool(daemon("tokenkeeper-worker"));
            this.executor = ownedExecutor;
        }
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("tokenkeeper-scheduler"));
        this.resilience = b.resilience;
        this.grants = b.grants != null ? b.grants : new FailsafeGrants(b.resilience, scheduler, listener);
        if (b.proactiveRefresh) {
            long every = b.sweepInterval.toMillis();
            this.sweep = scheduler.scheduleWithFixedDelay(this::sweepSafely, every, every, TimeUnit.MILLISECONDS);
        } else {
            this.sweep = null;
        }
    }

    /** A builder. */
    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------------------------------
    // Hot path

    @Override
    public AccessToken token(TokenKey key) {
        KeyState s = states.get(key);
        Entry e = s == null ? null : servable(s);
        return e != null ? e.token : await(key, slowPath(key, s));
    }

    @Override
    public CompletionStage<AccessToken> tokenAsync(TokenKey key) {
        KeyState s = states.get(key);
        Entry e = s == null ? null : servable(s);
        if (e != null) {
            return e.completed;
        }
        try {
            return slowPath(key, s).handle(TokenManager::rethrowForCaller).minimalCompletionStage();
        } catch (TokenException ex) {
            return CompletableFuture.failedStage(ex);
        }
    }

    /**
     * A handle bound to {@code key}, for code that asks for the same key constantly: its
     * {@link Handle#token()} behaves exactly like {@link #token(TokenKey)} but skips even the map
     * lookup. A handle stays valid for the manager's life, across refreshes and invalidations.
     *
     * @throws ConfigurationException if no client registration matches the key
     */
    public Handle handle(TokenKey key) {
        Objects.requireNonNull(key, "key");
        return new Handle(this, states.computeIfAbsent(key, this::newState));
    }

    /** A {@link TokenManager} bound to one key. Thread-safe; obtain it with {@link #handle(TokenKey)}. */
    public static final class Handle {
        private final TokenManager manager;
        private final KeyState state;

        private Handle(TokenManager manager, KeyState state) {
            this.manager = manager;
            this.state = state;
        }

        /** The key this handle is bound to. */
        public TokenKey key() {
            return state.key;
        }

        /** Like {@link TokenManager#token(TokenKey)} for this handle's key. */
        public AccessToken token() {
            Entry e = manager.servable(state);
            return e != null ? e.token : manager.await(state.key, manager.slowPath(state.key, state));
        }

        /** Like {@link TokenManager#tokenAsync(TokenKey)} for this handle's key. */
        public CompletionStage<AccessToken> tokenAsync() {
            return manager.tokenAsync(state.key);
        }

        @Override
        public String toString() {
            return "TokenManager.Handle[" + state.key + "]";
        }
    }

    /**
     * The hot path: the cached entry if it may be served now (starting one background refresh if it
     * is refresh-due), else null. Two volatile reads, a clock read and two comparisons.
     */
    private Entry servable(KeyState s) {
        Entry e = s.entry.get();
        if (e == null) {
            return null;
        }
        long now = clock.millis();
        if (now >= e.expiresAtMillis) {
            return null;
        }
        touch(s);
        countHit();
        if (now >= e.refreshAtMillis) {
            refreshInBackground(s, now);
        }
        return e;
    }

    /** Counting hits costs an atomic add per call, so it is done only when asked for (metrics). */
    private void countHit() {
        if (recordHits) {
            hits.increment();
        }
    }

    private static void touch(KeyState s) {
        if (!s.used) {
            s.used = true;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Slow path: single flight per key

    private CompletableFuture<AccessToken> slowPath(TokenKey key, KeyState known) {
        Objects.requireNonNull(key, "key");
        KeyState s = known != null ? known : states.computeIfAbsent(key, this::newState);
        s.used = true;
        Entry e = s.entry.get();
        long now = clock.millis();
        if (e != null && now < e.expiresAtMillis) {
            countHit();
            return CompletableFuture.completedFuture(e.token);
        }
        misses.increment();
        emit(new TokenEvent.CacheMiss(key, e == null ? TokenEvent.MissReason.ABSENT : TokenEvent.MissReason.EXPIRED));
        Remembered remembered = store == null ? remembered(s, now) : null;
        if (remembered != null) {
            // a permanent failure is remembered and there is no store to look in: fail at once,
            // without a flight (with a store, the flight looks there first, then fails fast)
            return CompletableFuture.failedFuture(remembered.copy(now));
        }
        CompletableFuture<AccessToken> flight = join(s, false);
        if (flight == s.backgroundFlight) {
            // a background refresh started while the token was still servable may have spent its
            // attempts before this caller needed a token: if it fails, this caller gets one fresh
            // (still single) flight of its own rather than inheriting a failure it did not ask for
            KeyState state = s;
            return flight.exceptionallyCompose(error -> join(state, false));
        }
        return flight;
    }

    private KeyState newState(TokenKey key) {
        ClientRegistration client = clients.get(key.client());
        if (client == null) {
            throw new ConfigurationException("no client registration named '" + key.client() + "' (registered: "
                    + clients.keySet().stream().sorted().toList() + ")");
        }
        return new KeyState(key, StoreKeys.of(client.identity(), key), client);
    }

    private void refreshInBackground(KeyState s, long now) {
        if (s.inFlight.get() == null && now >= s.nextBackgroundAttemptMillis) {
            join(s, true);
        }
    }

    private CompletableFuture<AccessToken> join(KeyState s, boolean background) {
        while (true) {
            CompletableFuture<AccessToken> running = s.inFlight.get();
            if (running != null) {
                return running;
            }
            CompletableFuture<AccessToken> mine = new CompletableFuture<>();
            if (s.inFlight.compareAndSet(null, mine)) {
                s.backgroundFlight = background ? mine : null;
                if (background) {
                    backgroundRefreshes.increment();
                }
                try {
                    executor.execute(() -> run(s, mine, background));
                } catch (RejectedExecutionException ex) {
                    fail(s, mine, new TokenException(FailureKind.BAD_CONFIGURATION, "the token manager is closed"), background);
                }
                return mine;
            }
        }
    }

    private void run(KeyState s, CompletableFuture<AccessToken> mine, boolean background) {
        try {
            long now = clock.millis();
            Entry current = s.entry.get();
            if (current != null && (background ? now < current.refreshAtMillis : now < current.expiresAtMillis)) {
                // another acquisition installed a servable token between the caller's look and now
                finish(s, mine, current);
                return;
            }
            if (store == null) {
                if (!failedFast(s, mine, now)) {
                    acquireFromIdp(s, mine, background, current, null);
                }
                return;
            }
            Entry stored = loadFromStore(s);
            if (servable(stored, current, background, now)) {
                storeHits.increment();
                emit(new TokenEvent.StoreHit(s.key));
                finish(s, mine, stored);
                return;
            }
            // a remembered failure is checked after the store: another instance (or a process with a
            // fixed secret) may have put a good token there, and reading it sends no token request
            if (!failedFast(s, mine, now)) {
                clusterAcquire(s, mine, background, current, 1);
            }
        } catch (Throwable t) {
            fail(s, mine, t, background);
        }
    }

    /** Ends the flight with the remembered permanent failure, if one is remembered now; then true. */
    private boolean failedFast(KeyState s, CompletableFuture<AccessToken> mine, long now) {
        Remembered remembered = remembered(s, now);
        if (remembered == null) {
            return false;
        }
        s.inFlight.compareAndSet(mine, null);
        mine.completeExceptionally(remembered.copy(now));
        return true;
    }

    /**
     * The permanent failure remembered for {@code s} now, or null: none, its window is over, or the
     * client's credentials changed since (a rotated secret file), which ends it at once.
     */
    private static Remembered remembered(KeyState s, long now) {
        Remembered r = s.remembered;
        if (r == null || now >= r.untilMillis) {
            return null;
        }
        if (r.credentialsVersion != credentialsVersion(s)) {
            s.remembered = null; // the next failure starts the window afresh, at its first length
            s.permanentFailures = 0;
            s.nextBackgroundAttemptMillis = 0;
            return null;
        }
        return r;
    }

    /** Whether a token read from the store may replace {@code current}. */
    private static boolean servable(Entry stored, Entry current, boolean background, long now) {
        if (stored == null) {
            return false;
        }
        if (current != null && !stored.token.expiresAt().isAfter(current.token.expiresAt())) {
            return false;
        }
        return background ? now < stored.refreshAtMillis : now < stored.expiresAtMillis;
    }

    private void clusterAcquire(
            KeyState s, CompletableFuture<AccessToken> mine, boolean background, Entry current, int round) {
        Optional<Lease> lease;
        try {
            lease = store.tryLease(s.storeKey, leaseTtl);
        } catch (RuntimeException e) {
            storeFailed(s, "lease", e);
            acquireFromIdp(s, mine, background, current, null);
            return;
        }
        if (lease.isPresent()) {
            emit(new TokenEvent.LeaseWon(s.key));
            Entry stored = loadFromStore(s);
            if (servable(stored, current, background, clock.millis())) {
                release(s, lease.get());
                storeHits.increment();
                emit(new TokenEvent.StoreHit(s.key));
                finish(s, mine, stored);
                return;
            }
            acquireFromIdp(s, mine, background, current, lease.get());
            return;
        }
        emit(new TokenEvent.LeaseLost(s.key));
        if (round > LEASE_ROUNDS) {
            emit(new TokenEvent.LeaseWaitTimedOut(s.key));
            acquireFromIdp(s, mine, background, current, null);
            return;
        }
        long deadline = System.nanoTime() + leaseWait.toNanos();
        pollForHolder(s, mine, background, current, round, deadline, FIRST_POLL_MILLIS);
    }

    /** Waits, bounded, for the lease holder's token to appear in the store. */
    private void pollForHolder(
            KeyState s,
            CompletableFuture<AccessToken> mine,
            boolean background,
            Entry current,
            int round,
            long deadlineNanos,
            long delayMillis) {
        Runnable poll = () -> {
            try {
                Entry stored;
                try {
                    stored = loadFromStore(s, true);
                } catch (StoreUnavailable e) {
                    // the holder cannot publish into a store we cannot read: stop waiting, acquire directly
                    acquireFromIdp(s, mine, background, current, null);
                    return;
                }
                if (servable(stored, current, background, clock.millis())) {
                    storeHits.increment();
                    emit(new TokenEvent.StoreHit(s.key));
                    finish(s, mine, stored);
                } else if (System.nanoTime() - deadlineNanos >= 0) {
                    emit(new TokenEvent.LeaseWaitTimedOut(s.key));
                    clusterAcquire(s, mine, background, current, round + 1);
                } else {
                    pollForHolder(
                            s, mine, background, current, round, deadlineNanos, Math.min(MAX_POLL_MILLIS, delayMillis * 2));
                }
            } catch (Throwable t) {
                fail(s, mine, t, background);
            }
        };
        try {
            scheduler.schedule(() -> execute(poll, s, mine, background), delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            fail(s, mine, new TokenException(FailureKind.BAD_CONFIGURATION, "the token manager is closed"), background);
        }
    }

    private void execute(Runnable task, KeyState s, CompletableFuture<AccessToken> mine, boolean background) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            fail(s, mine, new TokenException(FailureKind.BAD_CONFIGURATION, "the token manager is closed"), background);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Grants

    private void acquireFromIdp(
            KeyState s, CompletableFuture<AccessToken> mine, boolean background, Entry current, Lease lease) {
        RefreshCandidate refresh = refreshCandidate(s, current);
        obtain(s, refresh, background)
                .thenCompose(first -> expiredOnArrival(first) ? onceMore(s, first, background)
                        : CompletableFuture.completedFuture(first))
                .whenCompleteAsync(
                        (acquired, error) -> {
                            try {
                                if (error != null) {
                                    // the lease is released before waiters are woken: a caller that
                                    // retries at once must find it free, not sit out the lease wait
                                    releaseIfHeld(s, lease);
                                    fail(s, mine, error, background);
                                    return;
                                }
                                installThenSave(s, mine, acquired, background, lease);
                            } catch (Throwable t) {
                                releaseIfHeld(s, lease);
                                if (!mine.isDone()) { // a failure after installing changes nothing for callers
                                    fail(s, mine, t, background);
                                }
                            }
                        },
                        executor);
    }

    /**
     * Hands a token just received from the IdP to the near cache and to every waiting caller first,
     * and only then saves it to the store and releases the lease: a store that hangs costs the
     * store's timeout on this worker thread, never the callers' time. The lease is released after
     * the save, so that instances waiting for it find the token in the store.
     */
    private void installThenSave(
            KeyState s, CompletableFuture<AccessToken> mine, Acquired acquired, boolean background, Lease lease) {
        acquisitions.increment();
        Entry entry = acquired.entry;
        CompletableFuture<Void> saving = new CompletableFuture<>();
        pendingSaves.add(saving); // before the caller can have its token and close the manager
        try {
            finish(s, mine, entry);
            // after installing: a listener that reacts by asking for the token gets the new one
            emit(new TokenEvent.AcquisitionSucceeded(s.key, acquired.grantType, acquired.latency,
                    entry.token.expiresAt(), acquired.attempts, background));
            if (s.entry.get() == entry) { // not already replaced or invalidated
                save(s, entry.token);
            }
        } finally {
            try {
                releaseIfHeld(s, lease);
            } finally {
                pendingSaves.remove(saving);
                saving.complete(null);
            }
        }
        if (!background && clock.millis() >= entry.refreshAtMillis) {
            // it arrived so late that it is already refresh-due: start its refresh now rather than
            // at the next call (once: a background refresh that arrives late does not start another)
            refreshInBackground(s, clock.millis());
        }
    }

    /**
     * Whether a token arrived with no usable life left: the IdP answered after the point at which
     * the expiry policy calls it expired (its life counts from when the request was sent).
     */
    private boolean expiredOnArrival(Acquired a) {
        return clock.millis() >= a.entry.expiresAtMillis;
    }

    /**
     * The one immediate new request after a token arrived already expired; if that token also arrives
     * expired, the grant fails (TIMEOUT) rather than asking a third time.
     */
    private CompletableFuture<Acquired> onceMore(KeyState s, Acquired late, boolean background) {
        RefreshCandidate refresh = RefreshCandidate.of(late.entry.token); // it may have rotated the refresh token
        return obtain(s, refresh, background).handle((again, error) -> {
            if (error == null && !expiredOnArrival(again)) {
                return again;
            }
            if (refresh != null) {
                s.spareRefresh = refresh; // a rotated refresh token must not be lost with the late token
            }
            if (error != null) {
                throw new CompletionException(toTokenException(error));
            }
            throw new CompletionException(new TokenException(FailureKind.TIMEOUT, "the identity provider answered "
                    + "twice only after the token's usable life had passed (the last request was sent at "
                    + again.entry.token.issuedAt() + " and answered at " + clock.instant() + " for a lifetime of "
                    + again.entry.token.lifetime().toSeconds() + " s); no token was served. Check the identity "
                    + "provider's latency and this host's clock"));
        });
    }

    /**
     * The refresh token to use for the next grant: the newest one known for the key that is not known
     * to have expired, from the current token or from a spare (a token a resource server rejected, or
     * a stored entry whose access token has expired), else none.
     */
    private RefreshCandidate refreshCandidate(KeyState s, Entry current) {
        Instant now = clock.instant();
        RefreshCandidate mine = current == null ? null : RefreshCandidate.of(current.token);
        RefreshCandidate spare = s.spareRefresh;
        mine = mine != null && mine.usableAt(now) ? mine : null;
        spare = spare != null && spare.usableAt(now) ? spare : null;
        if (mine == null) {
            return spare;
        }
        return spare != null && spare.issuedAt.isAfter(mine.issuedAt) ? spare : mine;
    }

    /** Runs the right grant: refresh token if there is one, the primary grant otherwise or on invalid_grant. */
    private CompletableFuture<Acquired> obtain(KeyState s, RefreshCandidate refresh, boolean background) {
        if (refresh == null) {
            return primaryGrant(s, background);
        }
        Grant.RefreshToken refreshGrant = new Grant.RefreshToken(refresh.token);
        return grant(s, refreshGrant, refresh, background).handle((token, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(token);
            }
            TokenException te = toTokenException(error);
            if (te.kind() == FailureKind.INVALID_GRANT) {
                // the refresh token is spent or revoked: log in again with the primary grant
                if (s.spareRefresh == refresh) {
                    s.spareRefresh = null;
                }
                return primaryGrant(s, background);
            }
            return CompletableFuture.<Acquired>failedFuture(te);
        }).thenCompose(f -> f);
    }

    /** The client's primary grant; a primary refresh-token grant (an imported token) is kept in force like any. */
    private CompletableFuture<Acquired> primaryGrant(KeyState s, boolean background) {
        Grant primary = s.client.primaryGrant();
        RefreshCandidate used = primary instanceof Grant.RefreshToken rt
                ? new RefreshCandidate(rt.refreshToken(), null, Instant.EPOCH)
                : null;
        return grant(s, primary, used, background);
    }

    /** A grant's token, its near-cache entry, and what the success event reports. */
    private record Acquired(Entry entry, String grantType, Duration latency, int attempts) {}

    private CompletableFuture<Acquired> grant(KeyState s, Grant grant, RefreshCandidate used, boolean background) {
        GrantCall call = new GrantCall(s.key, grant.grantType(), background, clock, listener);
        emit(new TokenEvent.AcquisitionStarted(s.key, grant.grantType(), background));
        long t0 = System.nanoTime();
        CompletableFuture<TokenResponse> response;
        try {
            response = grants.execute(s.client, new TokenRequest(s.key, grant), call);
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        return response.handle((r, error) -> {
            Duration latency = Duration.ofNanos(System.nanoTime() - t0);
            if (error != null) {
                TokenException te = toTokenException(error);
                emit(new TokenEvent.AcquisitionFailed(s.key, grant.grantType(), te.kind(), latency, call.attempts(), background));
                throw new CompletionException(te);
            }
            AccessToken token = toAccessToken(s.key, r, used, call.lastSentAtMillis());
            return new Acquired(newEntry(token, TokenStatus.Source.IDP), grant.grantType(), latency, call.attempts());
        });
    }

    private AccessToken toAccessToken(TokenKey key, TokenResponse r, RefreshCandidate used, long sentAtMillis) {
        Instant issuedAt = Instant.ofEpochMilli(sentAtMillis);
        Set<String> scopes = r.scopes().isEmpty() ? key.scopes() : r.scopes();
        dev.tokenkeeper.domain.Secret refresh = r.refreshToken();
        Instant refreshExpiresAt = null;
        if (refresh == null && used != null) {
            // RFC 6749 §6: the server may keep the old refresh token in force without sending it again;
            // unless it says otherwise, it lives as long as it did
            refresh = used.token;
            refreshExpiresAt = used.expiresAt;
        }
        if (r.refreshExpiresIn() != null) {
            refreshExpiresAt = issuedAt.plus(r.refreshExpiresIn()); // the server's word, counted like the token's
        }
        if (refresh != null && refreshExpiresAt == null) {
            refreshExpiresAt = issuedAt.plus(refreshTokenLifetime);
        }
        return new AccessToken(r.accessToken(), r.tokenType(), issuedAt, issuedAt.plus(r.expiresIn()), scopes, refresh,
                refreshExpiresAt);
    }

    // ------------------------------------------------------------------------------------------
    // Completion

    private Entry newEntry(AccessToken token, TokenStatus.Source source) {
        ExpiryPolicy.Schedule schedule;
        if (random == null) {
            schedule = policy.schedule(token, ThreadLocalRandom.current());
        } else {
            synchronized (random) { // an injected generator need not be thread-safe
                schedule = policy.schedule(token, random);
            }
        }
        return new Entry(token, schedule.refreshAtMillis(), schedule.expiresAtMillis(), source);
    }

    private void finish(KeyState s, CompletableFuture<AccessToken> mine, Entry entry) {
        s.entry.set(entry);
        s.spareRefresh = null;
        s.consecutiveFailures = 0;
        s.nextBackgroundAttemptMillis = 0;
        s.lastError = null;
        s.remembered = null;
        s.permanentFailures = 0;
        s.inFlight.compareAndSet(mine, null);
        mine.complete(entry.token);
    }

    private void fail(KeyState s, CompletableFuture<AccessToken> mine, Throwable error, boolean background) {
        TokenException te = toTokenException(error);
        failures.increment();
        s.lastError = te.kind();
        long now = clock.millis();
        int n = ++s.consecutiveFailures;
        long next = now + Math.min(MAX_FAILURE_BACKOFF.toMillis(), failureBackoff.toMillis() << Math.min(n - 1, 16));
        if (!te.isTransient()) {
            // remembered before the flight ends, so that no caller slips in between and sends again
            int p = ++s.permanentFailures;
            long hold = doubled(permanentFailureBackoff.toMillis(), p, maxPermanentFailureBackoff.toMillis());
            s.remembered = new Remembered(te, now, now + hold, credentialsVersion(s));
            next = Math.max(next, now + hold);
        }
        s.nextBackgroundAttemptMillis = next;
        s.inFlight.compareAndSet(mine, null);
        mine.completeExceptionally(te);
    }

    private static long credentialsVersion(KeyState s) {
        try {
            return s.client.endpoint().credentialsVersion();
        } catch (RuntimeException e) {
            return 0; // an endpoint that cannot tell: the window runs its course
        }
    }

    /** {@code first} doubled {@code n - 1} times, at most {@code max}, without overflow. */
    static long doubled(long first, int n, long max) {
        int shift = Math.min(Math.max(n - 1, 0), 62);
        return first > (max >> shift) ? max : Math.min(max, first << shift);
    }

    private AccessToken await(TokenKey key, CompletableFuture<AccessToken> f) {
        try {
            return f.get(acquireTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw forCaller(toTokenException(e.getCause()));
        } catch (TimeoutException e) {
            throw new TokenException(FailureKind.TIMEOUT, "no token for " + key + " within the acquire timeout of "
                    + acquireTimeout + "; the identity provider or the store is slow or unreachable");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TokenException(FailureKind.TIMEOUT, "interrupted while waiting for a token for " + key);
        }
    }

    private static AccessToken rethrowForCaller(AccessToken token, Throwable error) {
        if (error != null) {
            throw new CompletionException(forCaller(toTokenException(error)));
        }
        return token;
    }

    /** A copy of a shared failure, so that each caller gets its own stack trace and cannot alter others'. */
    private static TokenException forCaller(TokenException shared) {
        if (shared instanceof ConfigurationException) {
            return shared;
        }
        return new TokenException(
                shared.kind(),
                shared.getMessage(),
                shared,
                shared.retryAfter().orElse(null),
                shared.httpStatus().orElse(0),
                shared.oauthError().orElse(null));
    }

    static TokenException toTokenException(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof TokenException te) {
            return te;
        }
        if (c instanceof TimeoutException) {
            return new TokenException(FailureKind.TIMEOUT, "the token request did not finish within the grant timeout", c);
        }
        return new TokenException(
                FailureKind.NETWORK, "the token request failed unexpectedly (" + c.getClass().getName() + ")", c);
    }

    // ------------------------------------------------------------------------------------------
    // Store

    private Entry loadFromStore(KeyState s) {
        return loadFromStore(s, false);
    }

    /**
     * Reads and opens the stored entry: null if absent or unreadable (with an event). A store that
     * fails is a miss too, unless {@code signalFailure}, when it throws {@link StoreUnavailable}.
     */
    private Entry loadFromStore(KeyState s, boolean signalFailure) {
        Optional<SealedToken> sealed;
        try {
            sealed = store.load(s.storeKey);
        } catch (RuntimeException e) {
            storeFailed(s, "load", e);
            if (signalFailure) {
                throw new StoreUnavailable();
            }
            return null;
        }
        if (sealed.isEmpty()) {
            return null;
        }
        try {
            AccessToken token = sealer.unseal(s.storeKey, sealed.get());
            offerSpareRefresh(s, token);
            return newEntry(token, TokenStatus.Source.STORE);
        } catch (TokenSealer.UnsealException | IllegalArgumentException e) {
            // a miss: the next save overwrites the entry
            emit(new TokenEvent.CorruptEntry(s.key, e.getMessage()));
            return null;
        }
    }

    /**
     * Keeps the refresh token of a stored entry for the next grant, if it is newer than the spare one:
     * an entry whose access token has expired is never served, but its refresh token may still be good
     * (a later process, or another instance, refreshes with it instead of logging in again).
     */
    private void offerSpareRefresh(KeyState s, AccessToken token) {
        RefreshCandidate offered = RefreshCandidate.of(token);
        if (offered == null || !offered.usableAt(clock.instant())) {
            return;
        }
        RefreshCandidate spare = s.spareRefresh;
        if (spare == null || offered.issuedAt.isAfter(spare.issuedAt)) {
            s.spareRefresh = offered;
        }
    }

    /** Saves {@code token} until its refresh token expires, if that is later than the token itself. */
    private void save(KeyState s, AccessToken token) {
        if (store == null) {
            return;
        }
        try {
            store.save(s.storeKey, sealer.seal(s.storeKey, token, token.keepUntil()));
        } catch (RuntimeException e) {
            storeFailed(s, "save", e);
        }
    }

    private void releaseIfHeld(KeyState s, Lease lease) {
        if (lease != null) {
            release(s, lease);
        }
    }

    private void release(KeyState s, Lease lease) {
        try {
            store.release(lease);
        } catch (RuntimeException e) {
            storeFailed(s, "release", e); // the lease ends with its time to live
        }
    }

    private void storeFailed(KeyState s, String operation, RuntimeException e) {
        emit(new TokenEvent.StoreFailed(s.key, operation, e.getClass().getName()));
    }

    // ------------------------------------------------------------------------------------------
    // Invalidation, status, stats

    @Override
    public void invalidate(TokenKey key) {
        Objects.requireNonNull(key, "key");
        KeyState s = states.get(key);
        if (s != null) {
            s.entry.set(null);
            s.spareRefresh = null;
            forget(s);
        }
        ClientRegistration client = clients.get(key.client());
        if (store != null && client != null) {
            try {
                store.delete(StoreKeys.of(client.identity(), key));
            } catch (RuntimeException e) {
                emit(new TokenEvent.StoreFailed(key, "delete", e.getClass().getName()));
            }
        }
        emit(new TokenEvent.TokenInvalidated(key, false));
    }

    @Override
    public boolean invalidate(TokenKey key, AccessToken rejected) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(rejected, "rejected");
        KeyState s = states.get(key);
        if (s == null) {
            return false;
        }
        Entry e = s.entry.get();
        if (e == null || !e.token.sameValueAs(rejected) || !s.entry.compareAndSet(e, null)) {
            return false;
        }
        RefreshCandidate rejectedRefresh = RefreshCandidate.of(e.token);
        if (rejectedRefresh != null) {
            s.spareRefresh = rejectedRefresh;
        }
        if (store != null) {
            Entry stored = loadFromStore(s);
            if (stored != null && stored.token.sameValueAs(rejected)) {
                try {
                    store.delete(s.storeKey);
                } catch (RuntimeException ex) {
                    storeFailed(s, "delete", ex);
                }
            }
        }
        emit(new TokenEvent.TokenInvalidated(key, true));
        return true;
    }

    @Override
    public TokenStatus status(TokenKey key) {
        KeyState s = states.get(key);
        if (s == null) {
            return new TokenStatus(key, null, null, null, null, null);
        }
        long now = clock.millis();
        Remembered r = s.remembered;
        Instant failFastUntil = r != null && now < r.untilMillis ? Instant.ofEpochMilli(r.untilMillis) : null;
        Entry e = s.entry.get();
        if (e == null) {
            return new TokenStatus(key, null, null, null, null, s.lastError, failFastUntil);
        }
        Freshness f = new ExpiryPolicy.Schedule(e.refreshAtMillis, e.expiresAtMillis).atMillis(now);
        return new TokenStatus(key, f, e.token.expiresAt(), Instant.ofEpochMilli(e.refreshAtMillis), e.source,
                s.lastError, failFastUntil);
    }

    /**
     * Forgets the permanent failures remembered for every key of {@code client}, so that the next
     * caller without a valid token sends a request at once: call it when the client's credentials
     * have changed (a rotated secret file). Tokens are kept.
     *
     * @return how many keys had a failure remembered
     */
    public int forgetFailures(String client) {
        Objects.requireNonNull(client, "client");
        int n = 0;
        for (KeyState s : states.values()) {
            if (s.key.client().equals(client)) {
                n += s.remembered != null ? 1 : 0;
                forget(s);
            }
        }
        return n;
    }

    private static void forget(KeyState s) {
        s.remembered = null;
        s.permanentFailures = 0;
        s.nextBackgroundAttemptMillis = 0;
    }

    /** The status of every key this manager has served, in no particular order. */
    public List<TokenStatus> statuses() {
        List<TokenStatus> all = new ArrayList<>();
        for (TokenKey key : states.keySet()) {
            all.add(status(key));
        }
        return all;
    }

    /** The state of the circuit breaker around {@code client}'s token endpoint. */
    public TokenEvent.CircuitState circuitState(String client) {
        return grants instanceof FailsafeGrants f ? f.state(client) : TokenEvent.CircuitState.CLOSED;
    }

    /** The resilience settings in force. */
    public Resilience resilience() {
        return resilience;
    }

    /**
     * Revokes the current token of {@code key} at the identity provider (RFC 7009): the refresh token
     * if there is one (which, by RFC 7009, revokes its access tokens too) and the access token, then
     * forgets it everywhere. The key is forgotten even if revocation fails.
     *
     * @return a stage that completes when the server has answered; it fails with a
     *     {@link TokenException} if revocation is not configured or the server refused
     */
    public CompletionStage<Void> revoke(TokenKey key) {
        KeyState s = states.get(key);
        Entry e = s == null ? null : s.entry.get();
        ClientRegistration client = clients.get(key.client());
        invalidate(key);
        if (e == null || client == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletionStage<Void> access = client.endpoint().revoke(e.token.value(), "access_token");
        return e.token.refreshToken()
                .map(rt -> client.endpoint().revoke(rt, "refresh_token").thenCompose(v -> access))
                .orElse(access);
    }

    /** The client registrations, by name. */
    public Map<String, ClientRegistration> clients() {
        return clients;
    }

    /** Counters since start. */
    public ManagerStats stats() {
        return new ManagerStats(
                hits.sum(),
                misses.sum(),
                storeHits.sum(),
                acquisitions.sum(),
                failures.sum(),
                backgroundRefreshes.sum());
    }

    // ------------------------------------------------------------------------------------------
    // Proactive refresh

    /**
     * Starts a background refresh for every recently used key that is refresh-due now. The manager
     * calls this periodically when proactive refresh is on; tests call it after moving the clock.
     *
     * @return how many refreshes were started
     */
    public int refreshDueTokens() {
        long now = clock.millis();
        int started = 0;
        for (KeyState s : states.values()) {
            if (s.used) {
                s.used = false;
                s.lastUsedMillis = now;
            } else if (now - s.lastUsedMillis > idleTimeout.toMillis()) {
                continue;
            }
            Entry e = s.entry.get();
            if (e != null && now >= e.refreshAtMillis && s.inFlight.get() == null && now >= s.nextBackgroundAttemptMillis) {
                emit(new TokenEvent.RefreshScheduled(s.key, Instant.ofEpochMilli(now)));
                join(s, now < e.expiresAtMillis);
                started++;
            }
        }
        return started;
    }

    private void sweepSafely() {
        try {
            refreshDueTokens();
        } catch (RuntimeException e) {
            // never let the sweep die; failures surface through acquisition events
        }
    }

    /**
     * Stops the manager's threads, after waiting (bounded) for the saves of tokens already handed to
     * callers. Waiting callers fail. Does not close the store or endpoints.
     */
    @Override
    public void close() {
        if (sweep != null) {
            sweep.cancel(false);
        }
        try {
            CompletableFuture.allOf(pendingSaves.toArray(CompletableFuture[]::new))
                    .get(CLOSE_SAVE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // a store that ignores its own timeout: stop anyway
        }
        scheduler.shutdownNow();
        if (ownedExecutor != null) {
            ownedExecutor.shutdownNow();
        }
        grants.close();
    }

    private void emit(TokenEvent event) {
        listener.onEvent(event);
    }

    private static TokenEventListener safe(TokenEventListener l) {
        return event -> {
            try {
                l.onEvent(event);
            } catch (RuntimeException ignored) {
                // observation must never break token delivery
            }
        };
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // ------------------------------------------------------------------------------------------

    /** The store failed a read; thrown only where the caller must tell that from an absent entry. */
    private static final class StoreUnavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StoreUnavailable() {
            super(null, null, false, false);
        }
    }

    /** Per-key state. The entry is replaced whole; the in-flight future is the single flight. */
    private static final class KeyState {
        final TokenKey key;
        final StoreKey storeKey;
        final ClientRegistration client;
        final AtomicReference<Entry> entry = new AtomicReference<>();
        final AtomicReference<CompletableFuture<AccessToken>> inFlight = new AtomicReference<>();
        volatile boolean used;
        volatile long lastUsedMillis;
        volatile long nextBackgroundAttemptMillis;
        volatile int consecutiveFailures;
        volatile FailureKind lastError;
        /** The permanent failure callers fail fast with until it ends, or null. */
        volatile Remembered remembered;
        /** Permanent failures in a row since the last success: the remembered time doubles with each. */
        volatile int permanentFailures;
        /** The in-flight future if it was started as a background refresh, else null. */
        volatile CompletableFuture<AccessToken> backgroundFlight;
        /**
         * A refresh token kept for the next grant beyond the current entry's: from a token dropped on
         * rejection, or from a stored entry whose access token has expired. Null if none.
         */
        volatile RefreshCandidate spareRefresh;

        KeyState(TokenKey key, StoreKey storeKey, ClientRegistration client) {
            this.key = key;
            this.storeKey = storeKey;
            this.client = client;
        }
    }

    /**
     * A permanent failure remembered for a key until {@code untilMillis}: callers without a valid
     * token get a copy that says so, and no request is sent.
     */
    private record Remembered(TokenException failure, long seenAtMillis, long untilMillis, long credentialsVersion) {

        /** A copy of the failure for a caller at {@code nowMillis}, saying it is remembered and until when. */
        TokenException copy(long nowMillis) {
            Instant until = Instant.ofEpochMilli(untilMillis);
            return new TokenException(
                    failure.kind(),
                    failure.getMessage() + " [remembered: this permanent failure was seen at "
                            + Instant.ofEpochMilli(seenAtMillis) + "; until " + until
                            + " callers fail at once with it and no token request is sent (the time doubles with "
                            + "each repeat); fix the cause, then invalidate the key or forget the client's failures "
                            + "to try at once]",
                    failure,
                    Duration.ofMillis(untilMillis - nowMillis),
                    failure.httpStatus().orElse(0),
                    failure.oauthError().orElse(null));
        }
    }

    /**
     * A refresh token with when it expires (null if unknown) and when the token that carried it was
     * requested (the newer of two candidates wins: a rotating server has spent the older one).
     */
    private record RefreshCandidate(dev.tokenkeeper.domain.Secret token, Instant expiresAt, Instant issuedAt) {

        /** The refresh token of {@code t}, or null if it has none. */
        static RefreshCandidate of(AccessToken t) {
            return t.refreshToken()
                    .map(rt -> new RefreshCandidate(rt, t.refreshTokenExpiresAt().orElse(null), t.issuedAt()))
                    .orElse(null);
        }

        boolean usableAt(Instant now) {
            return expiresAt == null || now.isBefore(expiresAt);
        }
    }

    /** A cached token with its refresh and expiry points precomputed, and its completed stage. */
    private static final class Entry {
        final AccessToken token;
        final long refreshAtMillis;
        final long expiresAtMillis;
        final CompletionStage<AccessToken> completed;
        final TokenStatus.Source source;

        Entry(AccessToken token, long refreshAtMillis, long expiresAtMillis, TokenStatus.Source source) {
            this.token = token;
            this.refreshAtMillis = refreshAtMillis;
            this.expiresAtMillis = expiresAtMillis;
            this.completed = CompletableFuture.completedStage(token);
            this.source = source;
        }
    }

    /** Runs one grant against a client's endpoint; the resilient form adds retries and a breaker. */
    interface GrantExecutor {
        /**
         * Runs {@code request}, calling {@link GrantCall#attemptStarted()} just before each attempt is
         * sent, and completes with the response or the last failure, in bounded time.
         */
        CompletableFuture<TokenResponse> execute(ClientRegistration client, TokenRequest request, GrantCall call);

        default void close() {}
    }

    /** Builds a {@link TokenManager}. Each setting is validated where it is set. Not thread-safe. */
    public static final class Builder {
        private InstantSource clock = InstantSource.system();
        private ExpiryPolicy policy = ExpiryPolicy.defaults();
        private final Map<String, ClientRegistration> clients = new LinkedHashMap<>();
        private TokenStore store;
        private SealingKeys sealingKeys;
        private TokenEventListener listener = TokenEventListener.NONE;
        private Executor executor;
        private GrantExecutor grants;
        private Duration acquireTimeout = DEFAULT_ACQUIRE_TIMEOUT;
        private Resilience resilience = Resilience.defaults();
        private Duration leaseTtl = DEFAULT_LEASE_TTL;
        private Duration leaseWait = DEFAULT_LEASE_WAIT;
        private Duration failureBackoff = DEFAULT_FAILURE_BACKOFF;
        private Duration sweepInterval = DEFAULT_SWEEP_INTERVAL;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private Duration permanentFailureBackoff = DEFAULT_PERMANENT_FAILURE_BACKOFF;
        private Duration maxPermanentFailureBackoff = DEFAULT_MAX_PERMANENT_FAILURE_BACKOFF;
        private Duration refreshTokenLifetime = DEFAULT_REFRESH_TOKEN_LIFETIME;
        private boolean proactiveRefresh = true;
        private boolean recordHits;
        private RandomGenerator random;

        private Builder() {}

        /** The clock that decides expiry. Default: the system clock. */
        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The expiry policy. Default: {@link ExpiryPolicy#defaults()}. */
        public Builder expiryPolicy(ExpiryPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** Registers a client. */
        public Builder client(ClientRegistration client) {
            Objects.requireNonNull(client, "client");
            if (clients.putIfAbsent(client.name(), client) != null) {
                throw new ConfigurationException("client '" + client.name() + "' is registered twice");
            }
            return this;
        }

        /** Registers a client-credentials client. */
        public Builder client(String name, dev.tokenkeeper.domain.port.TokenEndpoint endpoint) {
            return client(ClientRegistration.clientCredentials(name, endpoint));
        }

        /** The shared store behind the near cache. Default: none (near cache only). */
        public Builder store(TokenStore store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        /**
         * The keys that seal tokens for the store. Required for a persistent store; a memory store
         * gets an ephemeral key when none is set.
         */
        public Builder sealingKeys(SealingKeys keys) {
            this.sealingKeys = Objects.requireNonNull(keys, "keys");
            return this;
        }

        /** Receives every event. Default: none. */
        public Builder listener(TokenEventListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Runs acquisitions and store calls. Default: the manager's own daemon threads. */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        Builder grantExecutor(GrantExecutor grants) {
            this.grants = Objects.requireNonNull(grants, "grants");
            return this;
        }

        /** How long a blocked caller waits at most. Default {@link #DEFAULT_ACQUIRE_TIMEOUT}. */
        public Builder acquireTimeout(Duration timeout) {
            this.acquireTimeout = positive(timeout, "acquireTimeout");
            return this;
        }

        /** Timeouts, retries and circuit breaker around the token endpoints. Default {@link Resilience#defaults()}. */
        public Builder resilience(Resilience resilience) {
            this.resilience = Objects.requireNonNull(resilience, "resilience");
            return this;
        }

        /** The cluster lease's time to live. Default {@link #DEFAULT_LEASE_TTL}. */
        public Builder leaseTtl(Duration ttl) {
            this.leaseTtl = positive(ttl, "leaseTtl");
            return this;
        }

        /** How long to wait for the lease holder's token. Default {@link #DEFAULT_LEASE_WAIT}. */
        public Builder leaseWait(Duration wait) {
            this.leaseWait = positive(wait, "leaseWait");
            return this;
        }

        /** The first pause after a failed background refresh. Default {@link #DEFAULT_FAILURE_BACKOFF}. */
        public Builder failureBackoff(Duration backoff) {
            this.failureBackoff = positive(backoff, "failureBackoff");
            return this;
        }

        /**
         * How long a permanent failure (invalid_client, unauthorized_client, invalid_scope, a bad
         * configuration, ...) is remembered per key: {@code first} after the first failure, doubled for
         * each repeat, at most {@code max}. Meanwhile callers without a valid token fail at once with a
         * copy of it and no request is sent, so many callers never become many rejected logins. A
         * success, {@link TokenManager#invalidate(TokenKey)} or {@link TokenManager#forgetFailures(String)}
         * ends it. Defaults {@link #DEFAULT_PERMANENT_FAILURE_BACKOFF} and
         * {@link #DEFAULT_MAX_PERMANENT_FAILURE_BACKOFF}.
         *
         * @throws ConfigurationException if either is not positive, {@code first} exceeds {@code max}, or
         *     {@code max} exceeds a day
         */
        public Builder permanentFailureBackoff(Duration first, Duration max) {
            positive(first, "permanentFailureBackoff");
            positive(max, "maxPermanentFailureBackoff");
            if (max.compareTo(Duration.ofDays(1)) > 0) {
                throw new ConfigurationException("maxPermanentFailureBackoff must be at most one day (PT24H), was " + max);
            }
            if (first.compareTo(max) > 0) {
                throw new ConfigurationException("permanentFailureBackoff (" + first
                        + ") must not be longer than maxPermanentFailureBackoff (" + max + ")");
            }
            this.permanentFailureBackoff = first;
            this.maxPermanentFailureBackoff = max;
            return this;
        }

        /**
         * How long a refresh token lives when the server does not say ({@code refresh_expires_in}),
         * counted from the request that produced it. The store keeps a token's entry until its
         * refresh token expires, so a later process refreshes instead of logging in again. Default
         * {@link #DEFAULT_REFRESH_TOKEN_LIFETIME}.
         *
         * @throws ConfigurationException if not positive, or longer than ten years
         */
        public Builder refreshTokenLifetime(Duration lifetime) {
            positive(lifetime, "refreshTokenLifetime");
            if (lifetime.compareTo(Duration.ofDays(3650)) > 0) {
                throw new ConfigurationException("refreshTokenLifetime must be at most ten years (P3650D), was " + lifetime);
            }
            this.refreshTokenLifetime = lifetime;
            return this;
        }

        /** Whether a periodic sweep refreshes refresh-due keys before callers ask. Default on. */
        public Builder proactiveRefresh(boolean on) {
            this.proactiveRefresh = on;
            return this;
        }

        /**
         * Whether {@link ManagerStats#hits()} counts near-cache hits. Off by default: the count is an
         * atomic add on every call, the one cost the hot path would otherwise not have. Turn it on
         * when hit rates are exported as metrics.
         */
        public Builder recordHits(boolean on) {
            this.recordHits = on;
            return this;
        }

        /** How often the proactive sweep runs. Default {@link #DEFAULT_SWEEP_INTERVAL}. */
        public Builder sweepInterval(Duration interval) {
            this.sweepInterval = positive(interval, "sweepInterval");
            return this;
        }

        /** Keys unused this long are not refreshed proactively. Default {@link #DEFAULT_IDLE_TIMEOUT}. */
        public Builder idleTimeout(Duration idle) {
            this.idleTimeout = positive(idle, "idleTimeout");
            return this;
        }

        /** The source of the refresh-point jitter (tests fix it). Default: {@link ThreadLocalRandom}. */
        public Builder random(RandomGenerator random) {
            this.random = Objects.requireNonNull(random, "random");
            return this;
        }

        /**
         * The manager.
         *
         * @throws ConfigurationException if no client is registered, or a persistent store has no sealing keys
         */
        public TokenManager build() {
            if (clients.isEmpty()) {
                throw new ConfigurationException("clients: register at least one client");
            }
            return new TokenManager(this);
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isZero() || d.isNegative()) {
                throw new ConfigurationException(name + " must be positive, was " + d);
            }
            return d;
        }
    }
}
