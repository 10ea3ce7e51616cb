package dev.tokenkeeper.benchmarks;

import com.google.auth.oauth2.OAuth2Credentials;
import dev.tokenkeeper.adapter.store.memory.MemoryTokenStore;
import dev.tokenkeeper.adapter.store.redis.RedisTokenStore;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.benchmarks.Contenders.Env;
import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.fakeidp.FakeIdp;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;

/**
 * The hot path: getting a valid, cached token. Every contender first fetched its token from a
 * {@link FakeIdp} (one-hour tokens, so none expires or becomes refresh-due during the run); the
 * measured call then never leaves the JVM. The floor is the least any cache can do: one volatile
 * read and one expiry compare against {@code System.nanoTime()}.
 *
 * <p>Each state is {@link Scope#Benchmark}: with 2 threads both share one manager, as callers in one
 * application do. Results are returned (JMH consumes them through a {@link Blackhole}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HotPathBenchmark {

    /** System property carrying the Redis URI into the forked JVM; absent: the Redis benchmark fails fast. */
    public static final String REDIS_PROPERTY = "tokenkeeper.bench.redis";

    static final Duration LIFETIME = Duration.ofHours(1);

    /** An IdP for one trial. */
    @State(Scope.Benchmark)
    public static class Idp {
        FakeIdp idp;

        @Setup(Level.Trial)
        public void start() {
            idp = FakeIdp.start().issueTokens(LIFETIME);
        }

        @TearDown(Level.Trial)
        public void stop() {
            idp.close();
        }

        Env env() {
            String redis = System.getProperty(REDIS_PROPERTY);
            return new Env(idp.tokenUri(), LIFETIME, redis == null ? null : URI.create(redis), null,
                    SealingKeys.generateSpec("k1"), "hot" + System.nanoTime());
        }
    }

    /** The floor: a holder of the token and its expiry, read through an {@link AtomicReference}. */
    @State(Scope.Benchmark)
    public static class Floor {
        record Cached(String token, long expiresAtNanos) {}

        final AtomicReference<Cached> ref = new AtomicReference<>();

        @Setup(Level.Trial)
        public void fill() {
            ref.set(new Cached("tkb.0.1", System.nanoTime() + LIFETIME.toNanos()));
        }

        String get() {
            Cached c = ref.get();
            if (System.nanoTime() - c.expiresAtNanos < 0) {
                return c.token;
            }
            throw new IllegalStateException("expired");
        }
    }

    /** tokenkeeper with a memory store (the near cache answers). */
    @State(Scope.Benchmark)
    public static class TkMemory {
        Contenders.Tokenkeeper tk;
        TokenKey key;
        TokenManager.Handle handle;

        @Setup(Level.Trial)
        public void start(Idp idp) {
            Env env = idp.env();
            tk = Contenders.tokenkeeper(env, new MemoryTokenStore(), null, ExpiryPolicy.defaults(), true);
            key = env.key();
            tk.manager.token(key);
            handle = tk.manager.handle(key);
        }

        @TearDown(Level.Trial)
        public void stop() {
            check(tk.manager.stats().acquisitions() == 1, "tokenkeeper (memory) acquired more than one token");
            tk.close();
        }
    }

    /**
     * tokenkeeper with a memory store whose endpoint has a DPoP key: the same hot path, to show that
     * DPoP being available costs a cached token nothing (proofs are made only on requests sent).
     */
    @State(Scope.Benchmark)
    public static class TkMemoryDpop {
        Contenders.Tokenkeeper tk;
        TokenKey key;

        @Setup(Level.Trial)
        public void start(Idp idp) {
            Env env = idp.env();
            tk = Contenders.tokenkeeperWithDpop(env, new MemoryTokenStore(), ExpiryPolicy.defaults(), true);
            key = env.key();
            tk.manager.token(key);
        }

        @TearDown(Level.Trial)
        public void stop() {
            check(tk.manager.stats().acquisitions() == 1, "tokenkeeper (memory, DPoP) acquired more than one token");
            tk.close();
        }
    }

    /** tokenkeeper with a Redis store behind the near cache (the near cache answers). */
    @State(Scope.Benchmark)
    public static class TkRedis {
        Contenders.Tokenkeeper tk;
        TokenKey key;

        @Setup(Level.Trial)
        public void start(Idp idp) {
            Env env = idp.env();
            if (env.redis() == null) {
                throw new IllegalStateException("no Redis: set -D" + REDIS_PROPERTY);
            }
            tk = Contenders.tokenkeeper(env, RedisTokenStore.connect(env.redis()), null, ExpiryPolicy.defaults(), true);
            key = env.key();
            tk.manager.token(key);
        }

        @TearDown(Level.Trial)
        public void stop() {
            check(tk.manager.stats().acquisitions() == 1, "tokenkeeper (redis) acquired more than one token");
            tk.close();
        }
    }

    /** A Caffeine loading cache holding the token. */
    @State(Scope.Benchmark)
    public static class CaffeineState {
        Peers.CaffeineCache cache;

        @Setup(Level.Trial)
        public void start(Idp idp) {
            cache = new Peers.CaffeineCache(idp.idp.tokenUri(), LIFETIME.minusMinutes(5), null);
            cache.get();
        }
    }

    /** Spring Security's manager with the client-credentials provider (default 60 s clock skew). */
    @State(Scope.Benchmark)
    public static class SpringState {
        Peers.Spring spring;
        FakeIdp idp;

        @Setup(Level.Trial)
        public void start(Idp idp) {
            this.idp = idp.idp;
            spring = new Peers.Spring(idp.idp.tokenUri(), Duration.ofSeconds(60));
            spring.authorize();
        }

        @TearDown(Level.Trial)
        public void stop() {
            check(idp.requestCount() == 1, "Spring made more than one token request");
        }
    }

    /** google-auth's OAuth2Credentials with its default margins. */
    @State(Scope.Benchmark)
    public static class GoogleState {
        OAuth2Credentials credentials;
        FakeIdp idp;

        @Setup(Level.Trial)
        public void start(Idp idp) throws Exception {
            this.idp = idp.idp;
            credentials = new Peers.GoogleCredentials(idp.idp.tokenUri());
            credentials.getRequestMetadata(null);
        }

        @TearDown(Level.Trial)
        public void stop() {
            check(idp.requestCount() == 1, "google-auth made more than one token request");
        }
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException(what + ": the measurement left the hot path");
        }
    }

    @Benchmark
    public String floor(Floor s) {
        return s.get();
    }

    @Benchmark
    public AccessToken tokenkeeperMemory(TkMemory s) {
        return s.tk.manager.token(s.key);
    }

    @Benchmark
    public AccessToken tokenkeeperHandle(TkMemory s) {
        return s.handle.token();
    }

    @Benchmark
    public AccessToken tokenkeeperMemoryDpop(TkMemoryDpop s) {
        return s.tk.manager.token(s.key);
    }

    @Benchmark
    public AccessToken tokenkeeperRedisNearCache(TkRedis s) {
        return s.tk.manager.token(s.key);
    }

    @Benchmark
    public String caffeine(CaffeineState s) {
        return s.cache.get();
    }

    @Benchmark
    public OAuth2AuthorizedClient springAuthorize(SpringState s) {
        return s.spring.authorize();
    }

    @Benchmark
    public Map<String, List<String>> googleRequestMetadata(GoogleState s) throws Exception {
        return s.credentials.getRequestMetadata(null);
    }
}
