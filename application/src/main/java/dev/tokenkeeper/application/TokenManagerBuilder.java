package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEventListener;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Every setting of a {@link TokenManager}, its default and its check: the body of
 * {@link TokenManager.Builder}, which is its public name (nested in {@code TokenManager}, as callers
 * write it; the same split as {@code StringBuilder} and its package-private base). Each setting is
 * validated where it is set. Not thread-safe.
 */
abstract class TokenManagerBuilder {

    InstantSource clock = InstantSource.system();
    ExpiryPolicy policy = ExpiryPolicy.defaults();
    final Map<String, ClientRegistration> clients = new LinkedHashMap<>();
    TokenStore store;
    SealingKeys sealingKeys;
    TokenEventListener listener = TokenEventListener.NONE;
    Executor executor;
    GrantExecutor grants;
    Duration acquireTimeout = TokenManager.DEFAULT_ACQUIRE_TIMEOUT;
    Resilience resilience = Resilience.defaults();
    Duration leaseTtl = TokenManager.DEFAULT_LEASE_TTL;
    Duration leaseWait = TokenManager.DEFAULT_LEASE_WAIT;
    Duration failureBackoff = TokenManager.DEFAULT_FAILURE_BACKOFF;
    Duration sweepInterval = TokenManager.DEFAULT_SWEEP_INTERVAL;
    Duration idleTimeout = TokenManager.DEFAULT_IDLE_TIMEOUT;
    int maximumKeys = TokenManager.DEFAULT_MAXIMUM_KEYS;
    Duration permanentFailureBackoff = TokenManager.DEFAULT_PERMANENT_FAILURE_BACKOFF;
    Duration maxPermanentFailureBackoff = TokenManager.DEFAULT_MAX_PERMANENT_FAILURE_BACKOFF;
    Duration refreshTokenLifetime = TokenManager.DEFAULT_REFRESH_TOKEN_LIFETIME;
    boolean proactiveRefresh = true;
    boolean recordHits;
    StatsCounter stats = new ConcurrentStatsCounter();
    RandomGenerator random;
    Ticker ticker = Ticker.SYSTEM;
    ScheduledExecutorService scheduler;

    TokenManagerBuilder() {}

    /** The clock that decides expiry. Default: the system clock. */
    public TokenManager.Builder clock(InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return self();
    }

    /** The expiry policy. Default: {@link ExpiryPolicy#defaults()}. */
    public TokenManager.Builder expiryPolicy(ExpiryPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
        return self();
    }

    /** Registers a client. */
    public TokenManager.Builder client(ClientRegistration client) {
        Objects.requireNonNull(client, "client");
        if (clients.putIfAbsent(client.name(), client) != null) {
            throw new ConfigurationException("client '" + client.name() + "' is registered twice");
        }
        return self();
    }

    /** Registers a client-credentials client. */
    public TokenManager.Builder client(String name, dev.tokenkeeper.domain.spi.TokenEndpoint endpoint) {
        return client(ClientRegistration.clientCredentials(name, endpoint));
    }

    /** The shared store behind the near cache. Default: none (near cache only). */
    public TokenManager.Builder store(TokenStore store) {
        this.store = Objects.requireNonNull(store, "store");
        return self();
    }

    /**
     * The keys that seal tokens for the store. Required for a persistent store; a memory store
     * gets an ephemeral key when none is set.
     */
    public TokenManager.Builder sealingKeys(SealingKeys keys) {
        this.sealingKeys = Objects.requireNonNull(keys, "keys");
        return self();
    }

    /** Receives every event. Default: none. */
    public TokenManager.Builder listener(TokenEventListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return self();
    }

    /** Runs acquisitions and store calls. Default: the manager's own daemon threads. */
    public TokenManager.Builder executor(Executor executor) {
        this.executor = Objects.requireNonNull(executor, "executor");
        return self();
    }

    TokenManager.Builder grantExecutor(GrantExecutor grants) {
        this.grants = Objects.requireNonNull(grants, "grants");
        return self();
    }

    /** How long a blocked caller waits at most. Default {@link TokenManager#DEFAULT_ACQUIRE_TIMEOUT}. */
    public TokenManager.Builder acquireTimeout(Duration timeout) {
        this.acquireTimeout = positive(timeout, "acquireTimeout");
        return self();
    }

    /** Timeouts, retries and circuit breaker around the token endpoints. Default {@link Resilience#defaults()}. */
    public TokenManager.Builder resilience(Resilience resilience) {
        this.resilience = Objects.requireNonNull(resilience, "resilience");
        return self();
    }

    /** The cluster lease's time to live. Default {@link TokenManager#DEFAULT_LEASE_TTL}. */
    public TokenManager.Builder leaseTtl(Duration ttl) {
        this.leaseTtl = positive(ttl, "leaseTtl");
        return self();
    }

    /** How long to wait for the lease holder's token. Default {@link TokenManager#DEFAULT_LEASE_WAIT}. */
    public TokenManager.Builder leaseWait(Duration wait) {
        this.leaseWait = positive(wait, "leaseWait");
        return self();
    }

    /** The first pause after a failed background refresh. Default {@link TokenManager#DEFAULT_FAILURE_BACKOFF}. */
    public TokenManager.Builder failureBackoff(Duration backoff) {
        this.failureBackoff = positive(backoff, "failureBackoff");
        return self();
    }

    /**
     * How long a permanent failure (invalid_client, unauthorized_client, invalid_scope, a bad
     * configuration, ...) is remembered per key: {@code first} after the first failure, doubled for
     * each repeat, at most {@code max}. Meanwhile callers without a valid token fail at once with a
     * copy of it and no request is sent, so many callers never become many rejected logins. A
     * success, {@link TokenManager#invalidate(TokenKey)} or {@link TokenManager#forgetFailures(String)}
     * ends it. Defaults {@link TokenManager#DEFAULT_PERMANENT_FAILURE_BACKOFF} and
     * {@link TokenManager#DEFAULT_MAX_PERMANENT_FAILURE_BACKOFF}.
     *
     * @throws ConfigurationException if either is not positive, {@code first} exceeds {@code max}, or
     *     {@code max} exceeds a day
     */
    public TokenManager.Builder permanentFailureBackoff(Duration first, Duration max) {
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
        return self();
    }

    /**
     * How long a refresh token lives when the server does not say ({@code refresh_expires_in}),
     * counted from the request that produced it. The store keeps a token's entry until its
     * refresh token expires, so a later process refreshes instead of logging in again. Default
     * {@link TokenManager#DEFAULT_REFRESH_TOKEN_LIFETIME}.
     *
     * @throws ConfigurationException if not positive, or longer than ten years
     */
    public TokenManager.Builder refreshTokenLifetime(Duration lifetime) {
        positive(lifetime, "refreshTokenLifetime");
        if (lifetime.compareTo(Duration.ofDays(3650)) > 0) {
            throw new ConfigurationException("refreshTokenLifetime must be at most ten years (P3650D), was " + lifetime);
        }
        this.refreshTokenLifetime = lifetime;
        return self();
    }

    /** Whether a periodic sweep refreshes refresh-due keys before callers ask. Default on. */
    public TokenManager.Builder proactiveRefresh(boolean on) {
        this.proactiveRefresh = on;
        return self();
    }

    /**
     * Whether {@link ManagerStats#hits()} counts near-cache hits. Off by default: the count is an
     * atomic add on every call, the one cost the hot path would otherwise not have. Turn it on
     * when hit rates are exported as metrics.
     */
    public TokenManager.Builder recordHits(boolean on) {
        this.recordHits = on;
        return self();
    }

    /**
     * Where the manager records its counts, and what {@link TokenManager#stats()} reports: a
     * {@link StatsCounter} of your own (to feed a metrics registry), or {@link StatsCounter#disabled()}.
     * Default: a {@link ConcurrentStatsCounter}. Near-cache hits are recorded only with
     * {@link #recordHits(boolean)} on.
     */
    public TokenManager.Builder stats(StatsCounter stats) {
        this.stats = Objects.requireNonNull(stats, "stats");
        return self();
    }

    /**
     * How often the sweep runs: proactive refresh (when on) and eviction of idle keys. Default
     * {@link TokenManager#DEFAULT_SWEEP_INTERVAL}.
     */
    public TokenManager.Builder sweepInterval(Duration interval) {
        this.sweepInterval = positive(interval, "sweepInterval");
        return self();
    }

    /**
     * Keys unused this long are not refreshed proactively, and once they hold no servable token (and
     * no flight or remembered failure) their state is evicted: the next call for such a key is an
     * ordinary miss (use is recorded, and idle keys evicted, on a pass over every key each tenth of
     * this timeout). Keys bound to a {@link TokenManager#handle handle} are never evicted. Default
     * {@link TokenManager#DEFAULT_IDLE_TIMEOUT}.
     */
    public TokenManager.Builder idleTimeout(Duration idle) {
        this.idleTimeout = positive(idle, "idleTimeout");
        return self();
    }

    /**
     * At most this many keys resident in the near cache, in addition to the idle timeout: beyond it,
     * the least recently used keys are evicted (never one with a flight in progress, never one bound
     * to a {@link TokenManager#handle handle}), down to nine tenths of the bound; an evicted key's next
     * call is an ordinary miss, served from the store if the store is shared. Recency is as precise as
     * the sweep's pass over every key, which runs every tenth of the {@link #idleTimeout idle timeout}
     * (or every sweep, if that is rarer): keys used within the same pass count as equally recent. Default
     * {@link TokenManager#DEFAULT_MAXIMUM_KEYS} (no bound but the idle timeout).
     *
     * @throws IllegalArgumentException if not positive
     */
    public TokenManager.Builder maximumKeys(int maximumKeys) {
        if (maximumKeys < 1) {
            throw new IllegalArgumentException("maximumKeys must be positive, was " + maximumKeys);
        }
        this.maximumKeys = maximumKeys;
        return self();
    }

    /** Elapsed time for lease waits and latencies (tests move it). Default: {@link System#nanoTime()}. */
    TokenManager.Builder ticker(Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        return self();
    }

    /**
     * Runs delays: lease polls, retry pauses, the sweep (tests pass a manual one). Default: the
     * manager's own daemon thread, shut down by {@link TokenManager#close()}; a given one is not.
     */
    TokenManager.Builder scheduler(ScheduledExecutorService scheduler) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        return self();
    }

    /**
     * The source of the refresh-point jitter, a test hook (tests fix it; nothing else has reason
     * to). Default: {@link ThreadLocalRandom}.
     */
    TokenManager.Builder random(RandomGenerator random) {
        this.random = Objects.requireNonNull(random, "random");
        return self();
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
        return new TokenManager(self());
    }

    private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isZero() || d.isNegative()) {
            throw new ConfigurationException(name + " must be positive, was " + d);
        }
        return d;
    }

    private TokenManager.Builder self() {
        return (TokenManager.Builder) this;
    }
}
