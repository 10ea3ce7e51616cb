package dev.tokenkeeper.adapter.store.redis;

import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.BiConsumer;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.RedisSentinelClient;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.ScanIteration;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.SslVerifyMode;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.util.JedisURIHelper;

/**
 * A {@link TokenStore} on Redis, for instances that share tokens and coordinate refreshes.
 *
 * <h2>Data layout</h2>
 * For a store key {@code k} and the key prefix {@code p} (default {@value #DEFAULT_KEY_PREFIX}):
 * <ul>
 *   <li>{@code p{k}:token} — a string: one format byte, the expiry and the sealed bytes. It is written
 *       with {@code SET … PXAT}, so Redis itself drops it when the token expires.</li>
 *   <li>{@code p{k}:lease} — a string holding the owner of the lease, written with
 *       {@code SET … NX PX ttl}; released and extended by Lua scripts that first check the owner.</li>
 * </ul>
 * The braces are a hash tag: both keys of one store key sit in the same Cluster slot. Key names are
 * built from the prefix and the {@link StoreKey} only, which is already an opaque digest; the store
 * never sees a token in clear and never logs.
 *
 * <h2>Clients and timeouts</h2>
 * The store takes any {@link UnifiedJedis}: a {@link RedisClient}, a Sentinel client or a
 * {@code RedisClusterClient}. It does not own a client given to {@link #builder(UnifiedJedis)} and
 * does not close it; it does own, and closes, the one {@link #connect(URI, Duration)} builds.
 * Every call must end in bounded time, so a client given to the builder must have connect and
 * socket timeouts, and a pool that does not wait forever for a connection (Jedis pools wait forever
 * by default); {@link #connect(URI, Duration)} sets all three.
 *
 * <h2>The timeout a caller sees</h2>
 * Socket timeouts alone do not bound a call: when a pooled connection breaks (a Redis that hangs),
 * the pool builds its replacement on the caller's thread, and the replacement's handshake waits out
 * the timeout again, so the first call after a hang took twice the timeout, and a slow handshake of
 * several round trips more. With a {@linkplain Builder#callTimeout call timeout} (which
 * {@link #connect(URI, Duration)} sets to its timeout), each single-key call runs on one of the
 * store's own threads and the caller waits at most that long: it then gets a
 * {@code JedisConnectionException}, while the abandoned call ends on its own within the socket
 * timeouts (a lease it still wins is released). The hop costs a few microseconds, on the slow path
 * only. {@link #forEach} runs on the caller's thread, unbounded by it: it is for migration, not for
 * serving tokens.
 *
 * <h2>Failures</h2>
 * Jedis exceptions ({@code JedisConnectionException}, {@code JedisDataException}, …) are not caught:
 * they reach the caller unchecked, and the token manager turns them into a cache miss. An entry under
 * the store's prefix that this store did not write makes {@link #load} and {@link #forEach} throw
 * {@link IllegalStateException}, naming the store key and the reason, never the bytes.
 *
 * <p>Requires Redis 6.2 or later ({@code SET … PXAT}). Expiry is by the Redis server's clock.
 * Thread-safe, as thread-safe as the client (every Jedis {@code UnifiedJedis} is).
 */
public final class RedisTokenStore implements TokenStore {

    /** Keeps tokenkeeper's keys apart from an application's own keys in a shared Redis. */
    public static final String DEFAULT_KEY_PREFIX = "tokenkeeper:";

    /**
     * The connect and socket timeout of {@link #connect(URI)}: Redis on the same network answers in
     * well under a millisecond, and a store call that takes longer than this is better treated as a
     * miss (the manager falls back to the identity provider) than waited for.
     */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);

    /**
     * The largest pool {@link #connect(URI, Duration)} builds: every store call holds a connection for
     * one round trip, so a few dozen serve thousands of calls a second; more only add server load.
     */
    static final int MAX_POOL_CONNECTIONS = 32;

    /** How many keys a {@code SCAN} of {@link #forEach} asks for per round trip (a hint to Redis). */
    static final int SCAN_COUNT = 500;

    /**
     * The most calls running at once under the call timeout. A hung Redis holds each abandoned call
     * for up to two socket timeouts; beyond this many, calls fail at once instead of piling up.
     */
    static final int MAX_CALLS_IN_FLIGHT = 4 * MAX_POOL_CONNECTIONS;

    /** The longest key prefix: a prefix names a namespace, and keys are sent on every call. */
    static final int MAX_KEY_PREFIX_LENGTH = 64;

    private static final String TOKEN_SUFFIX = "}:token";
    private static final String LEASE_SUFFIX = "}:lease";

    private static final LuaScript RELEASE = new LuaScript(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end");
    private static final LuaScript EXTEND = new LuaScript(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) "
                    + "else return 0 end");

    /** The largest PXAT this store sends: the last millisecond of year 9999, far beyond any token. */
    private static final long MAX_EXPIRE_AT_MILLIS = Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();

    private static final SecureRandom OWNERS = new SecureRandom();

    private final UnifiedJedis jedis;
    private final boolean ownsClient;
    private final String keyPrefix;
    private final Duration callTimeout;
    private final ThreadPoolExecutor calls;
    private final AtomicBoolean closed = new AtomicBoolean();

    private RedisTokenStore(UnifiedJedis jedis, boolean ownsClient, Options settings) {
        this.jedis = jedis;
        this.ownsClient = ownsClient;
        this.keyPrefix = settings.keyPrefix();
        this.callTimeout = settings.callTimeout();
        if (callTimeout == null) {
            this.calls = null;
        } else {
            AtomicInteger n = new AtomicInteger();
            this.calls = new ThreadPoolExecutor(0, MAX_CALLS_IN_FLIGHT, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                    r -> {
                        Thread t = new Thread(r, "tokenkeeper-redis-call-" + n.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
        }
    }

    /** The longest a single-key call may take as its caller sees it, if bounded. */
    public Optional<Duration> callTimeout() {
        return Optional.ofNullable(callTimeout);
    }

    /** Runs {@code call} bounded by the call timeout, if there is one (see the class comment). */
    private <T> T bounded(String operation, Supplier<T> call) {
        if (calls == null) {
            return call.get();
        }
        CompletableFuture<T> running;
        try {
            running = CompletableFuture.supplyAsync(call, calls);
        } catch (RejectedExecutionException e) {
            throw new JedisConnectionException("Redis store: too many calls in flight (" + MAX_CALLS_IN_FLIGHT
                    + "), " + operation + " not sent");
        }
        try {
            return running.get(callTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            abandoned(running);
            throw new JedisConnectionException("Redis store: no answer to " + operation + " within the call timeout of "
                    + callTimeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new JedisConnectionException("Redis store: " + operation + " failed", cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandoned(running);
            throw new JedisConnectionException("Redis store: interrupted while waiting for " + operation);
        }
    }

    /** A lease won by a call its caller gave up on is released: nobody knows it is held. */
    private void abandoned(CompletableFuture<?> running) {
        running.thenAccept(result -> {
            if (result instanceof Optional<?> o && o.isPresent() && o.get() instanceof Lease lease) {
                try {
                    release(lease);
                } catch (RuntimeException ignored) {
                    // the lease ends with its time to live
                }
            }
        });
    }

    /**
     * A builder of a store on {@code jedis}, which the store will use but not close.
     *
     * @throws NullPointerException if {@code jedis} is null
     */
    public static Builder builder(UnifiedJedis jedis) {
        return new Builder(Objects.requireNonNull(jedis, "jedis"), false);
    }

    /**
     * A store with the default prefix on a new {@link RedisClient} for {@code uri}
     * ({@code redis://[user:password@]host[:port][/db]} or {@code rediss://…}), with
     * {@link #DEFAULT_TIMEOUT} as connect, socket and pool-wait timeout. The store owns the client
     * and closes it on {@link #close()}.
     *
     * @throws NullPointerException if {@code uri} is null
     * @throws IllegalArgumentException if {@code uri} is not a Redis URI
     */
    public static RedisTokenStore connect(URI uri) {
        return connect(uri, DEFAULT_TIMEOUT);
    }

    /**
     * A store with the default prefix on a new {@link RedisClient} for {@code uri}, with
     * {@code timeout} as connect, socket and pool-wait timeout. The store owns the client and closes
     * it on {@link #close()}. No connection is opened until the first call.
     *
     * @param timeout from 1 ms to 1 minute
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code uri} is not a Redis URI or {@code timeout} is out of
     *     range
     */
    public static RedisTokenStore connect(URI uri, Duration timeout) {
        return connectBuilder(uri, timeout).build();
    }

    /**
     * Like {@link #connect(URI, Duration)}, but returns the builder, to set the key prefix. The store
     * built owns the client. If the builder is never built, nothing has been opened.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code uri} is not a Redis URI or {@code timeout} is out of
     *     range
     */
    public static Builder connectBuilder(URI uri, Duration timeout) {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.compareTo(Duration.ofMillis(1)) < 0 || timeout.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("timeout must be from 1 ms to 1 minute, was " + timeout);
        }
        String scheme = uri.getScheme();
        if (SENTINEL_SCHEME.equals(scheme)) {
            Sentinels.of(uri); // checked now, so that an unusable URI fails here, not at build()
            return new Builder(null, true).uri(uri, timeout);
        }
        if (uri.getHost() == null || !("redis".equals(scheme) || "rediss".equals(scheme))) {
            throw new IllegalArgumentException("uri must be redis://host[:port][/db], rediss://… or "
                    + "redis-sentinel://host:port[,host:port…]/master[/db], had scheme "
                    + scheme + " and host " + uri.getHost());
        }
        return new Builder(null, true).uri(uri, timeout);
    }

    /** The key prefix of this store. */
    public String keyPrefix() {
        return keyPrefix;
    }

    /** The name of the Redis key that holds the token entry of {@code key}. */
    String tokenKey(StoreKey key) {
        return keyPrefix + "{" + key.value() + TOKEN_SUFFIX;
    }

    /** The name of the Redis key that holds the lease of {@code key}. */
    String leaseKey(StoreKey key) {
        return keyPrefix + "{" + key.value() + LEASE_SUFFIX;
    }

    /**
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalStateException if the entry under {@code key} was not written by this store
     */
    @Override
    public Optional<SealedToken> load(StoreKey key) {
        Objects.requireNonNull(key, "key");
        byte[] value = bounded("load", () -> jedis.get(bytes(tokenKey(key))));
        return value == null ? Optional.empty() : Optional.of(decode(key, value));
    }

    /** @throws NullPointerException if an argument is null */
    @Override
    public void save(StoreKey key, SealedToken token) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(token, "token");
        long expireAt = Math.min(token.expiresAt().toEpochMilli(), MAX_EXPIRE_AT_MILLIS);
        if (expireAt <= 0) {
            // PXAT must be positive; an entry expired in 1970 has nothing to keep.
            bounded("save", () -> jedis.del(bytes(tokenKey(key))));
            return;
        }
        // Redis drops the key at once (or never serves it) when expireAt has already passed.
        byte[] entry = EntryCodec.encode(token);
        bounded("save", () -> jedis.set(bytes(tokenKey(key)), entry, SetParams.setParams().pxAt(expireAt)));
    }

    /** @throws NullPointerException if {@code key} is null */
    @Override
    public boolean delete(StoreKey key) {
        Objects.requireNonNull(key, "key");
        return bounded("delete", () -> jedis.del(bytes(tokenKey(key)))) > 0;
    }

    /**
     * {@inheritDoc} A {@code ttl} below one millisecond counts as one.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code ttl} is not positive
     */
    @Override
    public Optional<Lease> tryLease(StoreKey key, Duration ttl) {
        Objects.requireNonNull(key, "key");
        long millis = ttlMillis(ttl);
        String owner = newOwner();
        return bounded("tryLease", () -> {
            String reply = jedis.set(leaseKey(key), owner, SetParams.setParams().nx().px(millis));
            return "OK".equals(reply) ? Optional.of(new Lease(key, owner)) : Optional.<Lease>empty();
        });
    }

    /** @throws NullPointerException if {@code lease} is null */
    @Override
    public boolean release(Lease lease) {
        Objects.requireNonNull(lease, "lease");
        return bounded("release", () -> RELEASE.run(jedis, leaseKey(lease.key()), lease.owner())) > 0;
    }

    /**
     * {@inheritDoc} A {@code ttl} below one millisecond counts as one.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code ttl} is not positive
     */
    @Override
    public boolean extend(Lease lease, Duration ttl) {
        Objects.requireNonNull(lease, "lease");
        long millis = ttlMillis(ttl);
        return bounded("extend", () -> EXTEND.run(jedis, leaseKey(lease.key()), lease.owner(), Long.toString(millis))) > 0;
    }

    /**
     * Walks the token keys under this store's prefix with {@code SCAN} (on every node of a Cluster)
     * and calls {@code action} for each entry still there when read. Each store key is reported once,
     * even where replicas answer the scan too. Keys under the prefix that this store did not name are
     * skipped.
     *
     * @throws NullPointerException if {@code action} is null
     * @throws IllegalStateException if an entry under the prefix was not written by this store
     */
    @Override
    public void forEach(BiConsumer<StoreKey, SealedToken> action) {
        Objects.requireNonNull(action, "action");
        Set<StoreKey> seen = new HashSet<>();
        ScanIteration scan = jedis.scanIteration(SCAN_COUNT, globEscape(keyPrefix) + "{*" + TOKEN_SUFFIX);
        while (!scan.isIterationCompleted()) {
            for (String redisKey : scan.nextBatchList()) {
                StoreKey key = storeKeyOf(redisKey);
                if (key == null || !seen.add(key)) {
                    continue;
                }
                byte[] value = jedis.get(bytes(redisKey));
                if (value != null) {
                    action.accept(key, decode(key, value));
                }
            }
        }
    }

    /** Always {@code true}: entries outlive this process and are shared with every instance. */
    @Override
    public boolean isPersistent() {
        return true;
    }

    /** Closes the client if this store built it ({@link #connect}); otherwise does nothing. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            if (calls != null) {
                calls.shutdown(); // running calls end within their socket timeouts
            }
            if (ownsClient) {
                jedis.close();
            }
        }
    }

    @Override
    public String toString() {
        return "RedisTokenStore[keyPrefix=" + keyPrefix + "]";
    }

    private StoreKey storeKeyOf(String redisKey) {
        if (!redisKey.startsWith(keyPrefix + "{") || !redisKey.endsWith(TOKEN_SUFFIX)) {
            return null;
        }
        String value = redisKey.substring(keyPrefix.length() + 1, redisKey.length() - TOKEN_SUFFIX.length());
        try {
            return new StoreKey(value);
        } catch (IllegalArgumentException notOurs) {
            return null;
        }
    }

    private static SealedToken decode(StoreKey key, byte[] value) {
        try {
            return EntryCodec.decode(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the entry under store key " + key + " was not written by this store: "
                    + e.getMessage(), e);
        }
    }

    private static long ttlMillis(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isZero() || ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must be positive, was " + ttl);
        }
        try {
            return Math.max(1, ttl.toMillis());
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 2; // Redis rejects larger; a lease this long never ends anyway
        }
    }

    private static String newOwner() {
        byte[] random = new byte[16];
        OWNERS.nextBytes(random);
        StringBuilder hex = new StringBuilder(32);
        for (byte b : random) {
            hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return hex.toString();
    }

    private static byte[] bytes(String redisKey) {
        return redisKey.getBytes(StandardCharsets.UTF_8);
    }

    /** Escapes the glob characters of Redis {@code MATCH} patterns, so a prefix matches itself only. */
    static String globEscape(String literal) {
        StringBuilder out = new StringBuilder(literal.length());
        for (int i = 0; i < literal.length(); i++) {
            char c = literal.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }

    /**
     * The validated settings of a store.
     *
     * @param keyPrefix printable ASCII without spaces or braces, at most {@value #MAX_KEY_PREFIX_LENGTH}
     *     characters; may be empty
     * @param callTimeout the longest a single-key call may take as its caller sees it, from 1 ms to 1
     *     minute; null for unbounded (the client's own timeouts only)
     */
    record Options(String keyPrefix, Duration callTimeout) {
        Options {
            if (callTimeout != null
                    && (callTimeout.compareTo(Duration.ofMillis(1)) < 0 || callTimeout.compareTo(Duration.ofMinutes(1)) > 0)) {
                throw new IllegalArgumentException("callTimeout must be from 1 ms to 1 minute, was " + callTimeout);
            }
            Objects.requireNonNull(keyPrefix, "keyPrefix");
            if (keyPrefix.length() > MAX_KEY_PREFIX_LENGTH) {
                throw new IllegalArgumentException("keyPrefix must have at most " + MAX_KEY_PREFIX_LENGTH
                        + " characters, had " + keyPrefix.length());
            }
            for (int i = 0; i < keyPrefix.length(); i++) {
                char c = keyPrefix.charAt(i);
                if (c < 0x21 || c > 0x7E || c == '{' || c == '}') {
                    throw new IllegalArgumentException("keyPrefix may hold printable ASCII except space, '{' and '}' "
                            + "(braces would move the Cluster hash tag); found character code " + (int) c);
                }
            }
        }
    }

    /** A Lua script run by {@code EVALSHA}, falling back to {@code EVAL} on a node that lacks it. */
    private static final class LuaScript {
        private final String source;
        private final String sha1;

        LuaScript(String source) {
            this.source = source;
            this.sha1 = sha1Hex(source);
        }

        long run(UnifiedJedis jedis, String key, String... args) {
            List<String> keys = List.of(key);
            List<String> argv = List.of(args);
            Object reply;
            try {
                reply = jedis.evalsha(sha1, keys, argv);
            } catch (JedisNoScriptException e) {
                // EVAL also caches the script on the node, so the next EVALSHA there succeeds
                reply = jedis.eval(source, keys, argv);
            }
            return reply instanceof Long n ? n : 0;
        }

        private static String sha1Hex(String s) {
            try {
                byte[] d = java.security.MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8));
                StringBuilder hex = new StringBuilder(40);
                for (byte b : d) {
                    hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
                }
                return hex.toString();
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-1", e);
            }
        }
    }

    /**
     * Builds a {@link RedisTokenStore}. Each option may be set once; {@link #build()} validates them
     * all and fails with a message that names the setting. Not thread-safe: build on one thread.
     */
    public static final class Builder {
        private final UnifiedJedis jedis;
        private final boolean ownsClient;
        private URI uri;
        private Duration timeout;
        private String keyPrefix;
        private String user;
        private Secret password;
        private Duration callTimeout;
        private boolean built;

        private Builder(UnifiedJedis jedis, boolean ownsClient) {
            this.jedis = jedis;
            this.ownsClient = ownsClient;
        }

        private Builder uri(URI uri, Duration timeout) {
            this.uri = uri;
            this.timeout = timeout;
            this.callTimeout = timeout;
            return this;
        }

        /**
         * The longest a single-key call ({@code load}, {@code save}, {@code delete} and the lease calls)
         * may take as its caller sees it: the call runs on a store thread, and the caller gets a
         * {@code JedisConnectionException} when it has not ended by then. Set it to the client's socket
         * timeout: Jedis can take a multiple of that on one call (it rebuilds a broken pooled connection
         * on the caller's thread). Default: the timeout of {@link RedisTokenStore#connect(URI, Duration)}
         * for a store that builds its client, none for a client given to the builder.
         *
         * @param callTimeout from 1 ms to 1 minute (checked by {@link #build()})
         * @throws NullPointerException if {@code callTimeout} is null
         */
        public Builder callTimeout(Duration callTimeout) {
            this.callTimeout = Objects.requireNonNull(callTimeout, "callTimeout");
            return this;
        }

        /**
         * The prefix of every Redis key the store writes; default {@value RedisTokenStore#DEFAULT_KEY_PREFIX}.
         * Stores with different prefixes on one Redis do not see each other's entries or leases.
         *
         * @param keyPrefix printable ASCII without spaces or braces, at most 64 characters; may be empty
         * @throws NullPointerException if {@code keyPrefix} is null
         * @throws IllegalStateException if the prefix was already set
         */
        public Builder keyPrefix(String keyPrefix) {
            Objects.requireNonNull(keyPrefix, "keyPrefix");
            if (this.keyPrefix != null) {
                throw new IllegalStateException("keyPrefix was already set to " + this.keyPrefix);
            }
            this.keyPrefix = keyPrefix;
            return this;
        }

        /**
         * The user and password to authenticate with, given apart from the URI so that the
         * password is never part of a URI that a parser or a message could echo. Only for
         * {@link RedisTokenStore#connectBuilder}; they replace any credentials in its URI.
         *
         * @param user the ACL user, or null for the default user
         * @param password the password
         * @throws NullPointerException if {@code password} is null
         * @throws IllegalStateException if the builder wraps a client it did not make, or credentials were already set
         */
        public Builder credentials(String user, Secret password) {
            Objects.requireNonNull(password, "password");
            if (jedis != null) {
                throw new IllegalStateException("credentials are for connectBuilder: a given client has its own");
            }
            if (this.password != null) {
                throw new IllegalStateException("credentials were already set");
            }
            this.user = user;
            this.password = password;
            return this;
        }

        /**
         * The store.
         *
         * @throws IllegalArgumentException if a setting is out of range (the message names it)
         * @throws IllegalStateException if this builder has already built a store
         */
        public RedisTokenStore build() {
            if (built) {
                throw new IllegalStateException("this builder has already built a store");
            }
            Options settings = new Options(keyPrefix == null ? DEFAULT_KEY_PREFIX : keyPrefix, callTimeout);
            built = true;
            UnifiedJedis client = jedis != null ? jedis : newClient(uri, timeout, user, password);
            return new RedisTokenStore(client, ownsClient, settings);
        }

        private static UnifiedJedis newClient(URI uri, Duration timeout, String user, Secret password) {
            ConnectionPoolConfig pool = new ConnectionPoolConfig();
            pool.setMaxTotal(MAX_POOL_CONNECTIONS);
            pool.setMaxIdle(MAX_POOL_CONNECTIONS);
            pool.setMaxWait(timeout); // the Jedis default is to wait for a free connection forever
            pool.setTestWhileIdle(true); // drops connections a restarted server has closed
            if (SENTINEL_SCHEME.equals(uri.getScheme())) {
                Sentinels sentinels = Sentinels.of(uri);
                int millis = (int) timeout.toMillis();
                DefaultJedisClientConfig.Builder master = DefaultJedisClientConfig.builder()
                        .connectionTimeoutMillis(millis).socketTimeoutMillis(millis).database(sentinels.database());
                if (password != null) {
                    master.user(user).password(password.reveal()); // the master's; the sentinels are asked without
                }
                return RedisSentinelClient.builder()
                        .masterName(sentinels.master())
                        .sentinels(sentinels.nodes())
                        .clientConfig(master.build())
                        .sentinelClientConfig(DefaultJedisClientConfig.builder()
                                .connectionTimeoutMillis(millis).socketTimeoutMillis(millis).build())
                        .poolConfig(pool)
                        .build();
            }
            return RedisClient.builder()
                    .hostAndPort(JedisURIHelper.getHostAndPort(uri))
                    .clientConfig(clientConfig(uri, timeout, user, password))
                    .poolConfig(pool)
                    .build();
        }
    }

    /** The scheme of a Redis Sentinel URI: {@code redis-sentinel://host:port[,host:port…]/master[/db]}. */
    static final String SENTINEL_SCHEME = "redis-sentinel";

    /**
     * What a {@code redis-sentinel://} URI names: the sentinels to ask, the master's name and the
     * database number. Credentials in the URI are not used (give them to {@link Builder#credentials}).
     */
    record Sentinels(Set<HostAndPort> nodes, String master, int database) {
        static Sentinels of(URI uri) {
            String authority = uri.getRawAuthority();
            if (authority == null || authority.isBlank()) {
                throw new IllegalArgumentException("a redis-sentinel URI names its sentinels: redis-sentinel://host:port"
                        + "[,host:port…]/master[/db]");
            }
            authority = authority.substring(authority.lastIndexOf('@') + 1); // never the user info
            Set<HostAndPort> nodes = new java.util.LinkedHashSet<>();
            for (String node : authority.split(",")) {
                int colon = node.lastIndexOf(':');
                try {
                    int port = colon < 0 ? 26379 : Integer.parseInt(node.substring(colon + 1));
                    String host = colon < 0 ? node : node.substring(0, colon);
                    if (host.isBlank() || port < 1 || port > 65535) {
                        throw new NumberFormatException();
                    }
                    nodes.add(new HostAndPort(host, port));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("a redis-sentinel URI lists sentinels as host:port, comma-separated; "
                            + "one of them is not (" + nodes.size() + " read before it)");
                }
            }
            String path = uri.getPath() == null ? "" : uri.getPath();
            String[] parts = path.startsWith("/") ? path.substring(1).split("/") : new String[0];
            if (parts.length == 0 || parts[0].isBlank() || parts.length > 2) {
                throw new IllegalArgumentException("a redis-sentinel URI names the master after the sentinels: "
                        + "redis-sentinel://host:port[,host:port…]/master[/db]");
            }
            int db = 0;
            if (parts.length == 2) {
                try {
                    db = Integer.parseInt(parts[1]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("the database of a redis-sentinel URI is a number: …/master/0");
                }
            }
            return new Sentinels(Set.copyOf(nodes), parts[0], db);
        }
    }

    /**
     * A client configuration with {@code timeout} as connect and socket timeout, and the user,
     * password, database, protocol and TLS ({@code rediss://}, with full certificate and host name
     * verification) of {@code uri}. (Jedis 8 deprecates the builders'
     * {@code fromURI}, so the URI is read here.)
     */
    static JedisClientConfig clientConfig(URI uri, Duration timeout) {
        return clientConfig(uri, timeout, null, null);
    }

    /** Like {@link #clientConfig(URI, Duration)}, with {@code password} (if not null) instead of the URI's credentials. */
    static JedisClientConfig clientConfig(URI uri, Duration timeout, String user, Secret password) {
        int millis = (int) timeout.toMillis();
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis)
                .socketTimeoutMillis(millis);
        if (JedisURIHelper.isRedisSSLScheme(uri)) {
            // rediss://: the JDK trust store, and the certificate must name the host
            config.sslOptions(SslOptions.builder().sslVerifyMode(SslVerifyMode.FULL).build());
        }
        if (password != null) {
            config.user(user).password(password.reveal());
        } else if (JedisURIHelper.getPassword(uri) != null) {
            config.user(JedisURIHelper.getUser(uri)).password(JedisURIHelper.getPassword(uri));
        }
        if (JedisURIHelper.hasDbIndex(uri)) {
            config.database(JedisURIHelper.getDBIndex(uri));
        }
        RedisProtocol protocol = JedisURIHelper.getRedisProtocol(uri);
        if (protocol != null) {
            config.protocol(protocol);
        }
        return config.build();
    }
}
