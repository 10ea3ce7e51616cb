package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenProvider;
import dev.tokenkeeper.domain.api.TokenStatus;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

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
 * the idle timeout are left alone until used again, and their state is evicted once their token has
 * expired, so that the manager's memory does not grow with every key it ever served.
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
    /** Keys not used for this long are no longer refreshed proactively, and evicted once their token has expired. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(30);
    /** By default the number of resident keys is bounded only by the idle timeout. */
    public static final int DEFAULT_MAXIMUM_KEYS = Integer.MAX_VALUE;

    /**
     * How long {@link #close()} waits for saves of tokens already handed to callers (a CLI prints its
     * token, then closes: the token must still reach the store). Each store call is bounded by the
     * store's own timeout; this only bounds a store that ignores it.
     */
    static final Duration CLOSE_SAVE_WAIT = Duration.ofSeconds(10);

    private final NearCache cache;
    private final SingleFlight flights;
    private final Invalidation invalidation;
    private final Imports imports;
    private final RefreshSweeper sweeper;
    private final GrantExecutor grants;
    private final StatsCounter stats;
    private final Duration acquireTimeout;
    private final OwnedThreads threads;
    private final ScheduledFuture<?> sweep;

    /**
     * Wires the collaborators, top to bottom as a call goes: near cache, single flight, acquisition,
     * then the shared tier, the lease and the grant. Each is described where it is defined.
     */
    TokenManager(TokenManagerBuilder b) {
        InstantSource clock = b.clock;
        Map<String, ClientRegistration> clients = Map.copyOf(b.clients);
        EventSink events = new EventSink(b.listener);
        this.acquireTimeout = b.acquireTimeout;
        this.stats = b.stats;
        this.threads = new OwnedThreads(b.executor, b.scheduler);
        EntryFactory entries = new EntryFactory(b.policy, b.random);
        SharedTier tier = SharedTier.of(b.store, b.sealingKeys, entries, events, clock);
        this.grants = b.grants != null ? b.grants : new FailsafeGrants(b.resilience, threads.scheduler, b.ticker, events);
        LeaseCoordinator leases = new LeaseCoordinator(tier, events, clock, b.ticker, threads.scheduler,
                threads.executor, b.leaseTtl, b.leaseWait);
        GrantRunner runner = new GrantRunner(grants, entries, events, clock, b.ticker, b.refreshTokenLifetime);
        Acquisition acquisition = new Acquisition(tier, leases, runner, stats, events, clock, threads.executor);
        FailureMemory failures = new FailureMemory(b.failureBackoff, MAX_FAILURE_BACKOFF, b.permanentFailureBackoff,
                b.maxPermanentFailureBackoff);
        RefreshIndex index = new RefreshIndex();
        this.flights = new SingleFlight(acquisition, tier, failures, stats, events, clock, b.ticker, threads.executor,
                index);
        this.cache = new NearCache(clients, flights, stats, b.recordHits, events, clock, b.maximumKeys, index);
        this.invalidation = new Invalidation(cache, clients, tier, events);
        this.imports = new Imports(cache, flights, tier, entries);
        this.sweeper = new RefreshSweeper(cache, flights, index, events, clock, b.idleTimeout,
                b.proactiveRefresh);
        long every = b.sweepInterval.toMillis();
        this.sweep = threads.scheduler.scheduleWithFixedDelay(sweeper::run, every, every, TimeUnit.MILLISECONDS);
    }

    /** A builder. */
    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------------------------------
    // Getting a token: the near cache, else the key's single flight

    @Override
    public AccessToken token(TokenKey key) {
        KeyState s = cache.get(key);
        Entry e = s == null ? null : cache.servable(s);
        return e != null ? e.token : await(key, cache.miss(key, s));
    }

    @Override
    public CompletionStage<AccessToken> tokenAsync(TokenKey key) {
        KeyState s = cache.get(key);
        Entry e = s == null ? null : cache.servable(s);
        if (e != null) {
            return e.completed;
        }
        try {
            return cache.miss(key, s).handle(TokenManager::rethrowForCaller).minimalCompletionStage();
        } catch (TokenException ex) {
            return CompletableFuture.failedStage(ex);
        }
    }

    /**
     * A handle bound to {@code key}, for code that asks for the same key constantly: its
     * {@link Handle#token()} behaves exactly like {@link #token(TokenKey)} but skips even the map
     * lookup. A handle stays valid for the manager's life, across refreshes and invalidations (its
     * key is never evicted).
     *
     * @throws ConfigurationException if no client registration matches the key
     */
    public Handle handle(TokenKey key) {
        Objects.requireNonNull(key, "key");
        return new Handle(this, cache.pinned(key));
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
            Entry e = manager.cache.servable(state);
            return e != null ? e.token : manager.await(state.key, manager.cache.miss(state.key, state));
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

    private AccessToken await(TokenKey key, CompletableFuture<AccessToken> f) {
        try {
            return f.get(acquireTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw Failures.forCaller(Failures.toTokenException(e));
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
            throw new CompletionException(Failures.forCaller(Failures.toTokenException(error)));
        }
        return token;
    }

    // ------------------------------------------------------------------------------------------
    // Tokens obtained elsewhere

    /**
     * Puts a token obtained elsewhere (a login UI, another tool, the environment) for {@code key}:
     * into the near cache and, sealed, into the store, replacing what was there, as if it had been
     * acquired. Callers are served it while it is valid; when it comes due, its refresh token (if it
     * has one) is used for a refresh-token grant. A token whose access token has already expired is
     * accepted for its refresh token: the next call refreshes at once. The store write is done when
     * this returns (a store failure is an event, as everywhere).
     *
     * @throws ConfigurationException if no client registration matches the key
     */
    public void put(TokenKey key, AccessToken token) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(token, "token");
        imports.put(key, token);
    }

    /**
     * Like {@link #put} unless a token is already held for {@code key}, here or in the store (a
     * servable one, or an expired one whose refresh token is still kept). Meant for tokens imported
     * at every start (from the environment): a token refreshed since, whose refresh token may have
     * rotated, is not replaced by the stale import.
     *
     * @return whether the token was put
     * @throws ConfigurationException if no client registration matches the key
     */
    public boolean putIfAbsent(TokenKey key, AccessToken token) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(token, "token");
        return imports.putIfAbsent(key, token);
    }

    // ------------------------------------------------------------------------------------------
    // Invalidation, revocation, status, stats

    @Override
    public void invalidate(TokenKey key) {
        Objects.requireNonNull(key, "key");
        invalidation.invalidate(key);
    }

    @Override
    public boolean invalidate(TokenKey key, AccessToken rejected) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(rejected, "rejected");
        return invalidation.invalidate(key, rejected);
    }

    /**
     * As {@link #invalidate(TokenKey, AccessToken)}, never blocking the caller: answered at once when
     * the manager has no store (the near cache alone), else run on the manager's executor, which
     * deletes from the store.
     */
    @Override
    public CompletionStage<Boolean> invalidateAsync(TokenKey key, AccessToken rejected) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(rejected, "rejected");
        return invalidation.invalidateAsync(key, rejected, threads.executor);
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
        return invalidation.revoke(key);
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
        return invalidation.forgetFailures(client);
    }

    @Override
    public TokenStatus status(TokenKey key) {
        return cache.status(key);
    }

    /** The status of every key this manager holds (asked for, and not evicted since), in no particular order. */
    public List<TokenStatus> statuses() {
        List<TokenStatus> all = new ArrayList<>();
        for (KeyState s : cache.states()) {
            all.add(cache.status(s.key));
        }
        return all;
    }

    /** The state of the circuit breaker around {@code client}'s token endpoint. */
    public TokenEvent.CircuitState circuitState(String client) {
        return grants instanceof FailsafeGrants f ? f.state(client) : TokenEvent.CircuitState.CLOSED;
    }

    /** Counters since start, as the configured {@link StatsCounter} reports them. */
    public ManagerStats stats() {
        return stats.snapshot();
    }

    /**
     * Starts a background refresh for every recently used key that is refresh-due now, as the
     * periodic sweep does when proactive refresh is on: a test hook (tests in this package move the
     * clock, then call it), not API.
     *
     * @return how many refreshes were started
     */
    int refreshDueTokens() {
        return sweeper.refreshDue();
    }

    /** How many keys the last sweeps looked at, in all: a test hook, not API. */
    long sweepVisits() {
        return sweeper.visits();
    }

    /** How many refresh points the sweep's index holds: a test hook, not API. */
    int indexedRefreshPoints() {
        return sweeper.indexed();
    }

    /** How many keys the near cache holds now: a test hook, not API. */
    int residentKeys() {
        return cache.size();
    }

    /**
     * Stops the manager's threads, after waiting (bounded) for the saves of tokens already handed to
     * callers. Waiting callers fail. Does not close the store or endpoints, nor an executor or
     * scheduler it was given.
     */
    @Override
    public void close() {
        sweep.cancel(false);
        flights.awaitSaves(CLOSE_SAVE_WAIT);
        threads.shutdown();
        grants.close();
    }

    /**
     * Builds a {@link TokenManager}; every setting, with its default and its check, is described on
     * its method. Each setting is validated where it is set. Not thread-safe.
     */
    public static final class Builder extends TokenManagerBuilder {
        private Builder() {}
    }
}
