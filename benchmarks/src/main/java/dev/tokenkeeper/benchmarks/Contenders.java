package dev.tokenkeeper.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.adapter.http.VertxTokenEndpoint;
import dev.tokenkeeper.adapter.store.jdbc.JdbiTokenStore;
import dev.tokenkeeper.adapter.store.jdbc.SchemaAction;
import dev.tokenkeeper.adapter.store.memory.MemoryTokenStore;
import dev.tokenkeeper.adapter.store.redis.RedisTokenStore;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.net.URI;
import java.time.Duration;

/** The libraries the simulations compare, and how each is built for one simulated application instance. */
public final class Contenders {

    private Contenders() {}

    /** A library (and for tokenkeeper, a store) as it runs in a fleet. */
    public enum Library {
        TK_MEMORY("tokenkeeper, memory store (per instance)", false),
        TK_REDIS("tokenkeeper, shared Redis", true),
        TK_POSTGRES("tokenkeeper, shared PostgreSQL", true),
        SPRING("Spring Security AuthorizedClientServiceOAuth2AuthorizedClientManager", false),
        GOOGLE("google-auth-library OAuth2Credentials", false),
        CAFFEINE("Caffeine LoadingCache, hand-rolled", false);

        /** A readable name. */
        public final String label;
        /** Whether the instances share one token (a cluster store) rather than each holding its own. */
        public final boolean shared;

        Library(String label, boolean shared) {
            this.label = label;
            this.shared = shared;
        }
    }

    /**
     * What every instance of a run shares: the IdP, the token lifetime the margins derive from, the
     * servers found, the sealing keys and a tag that makes this run's keys and rows its own.
     */
    public record Env(URI tokenUri, Duration lifetime, URI redis, Servers.Postgres postgres, String sealingSpec, String tag) {

        /** The key every caller asks for in this run. */
        public TokenKey key() {
            return TokenKey.of("bench", "run-" + tag);
        }
    }

    /**
     * The margins for a token of lifetime {@code L}, the same for every library so that none is
     * favoured: treat a token as expired {@code L/20} before the IdP does (the clock skew), and,
     * where a library can refresh ahead, start {@code 0.2 L} before that. For a one-hour token this
     * is 3 min of skew and 12 min of refresh-ahead, tokenkeeper's default fraction.
     */
    public record Margins(Duration skew, Duration refreshAhead) {
        public static Margins of(Duration lifetime) {
            return new Margins(lifetime.dividedBy(20), lifetime.multipliedBy(2).dividedBy(10));
        }

        /** tokenkeeper's policy: the default fraction and jitter, the skew above, no absolute floor. */
        public ExpiryPolicy tokenkeeperPolicy() {
            return ExpiryPolicy.builder()
                    .refreshAhead(Duration.ZERO)
                    .refreshAheadFraction(0.2)
                    .clockSkew(skew)
                    .jitter(ExpiryPolicy.DEFAULT_JITTER)
                    .build();
        }
    }

    /** One instance of {@code library} for {@code env}. */
    public static TokenSource create(Library library, Env env) {
        Margins m = Margins.of(env.lifetime());
        return switch (library) {
            case TK_MEMORY -> tokenkeeper(env, new MemoryTokenStore(), null, m.tokenkeeperPolicy(), true);
            case TK_REDIS -> tokenkeeper(env, RedisTokenStore.connect(env.redis()), null, m.tokenkeeperPolicy(), true);
            case TK_POSTGRES -> {
                HikariDataSource ds = postgresPool(env.postgres(), 4);
                try {
                    yield tokenkeeper(env, postgresStore(ds), ds, m.tokenkeeperPolicy(), true);
                } catch (RuntimeException e) {
                    ds.close();
                    throw e;
                }
            }
            case SPRING -> new Peers.Spring(env.tokenUri(), m.skew());
            case GOOGLE -> new Peers.Google(env.tokenUri(), m.skew().plus(m.refreshAhead()), m.skew());
            case CAFFEINE -> new Peers.CaffeineCache(
                    env.tokenUri(), env.lifetime().minus(m.skew()), env.lifetime().minus(m.skew()).minus(m.refreshAhead()));
        };
    }

    /** A pool on {@code pg} with bounded connect, socket and checkout timeouts. */
    public static HikariDataSource postgresPool(Servers.Postgres pg, int size) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(pg.jdbcUrl());
        c.setUsername(pg.user());
        c.setPassword(pg.password());
        c.setMaximumPoolSize(size);
        c.setMinimumIdle(1);
        c.setConnectionTimeout(5_000);
        c.addDataSourceProperty("connectTimeout", "5");
        c.addDataSourceProperty("socketTimeout", "10");
        c.setPoolName("tkbench-pg");
        return new HikariDataSource(c);
    }

    /** A JDBC store on {@code ds} with the benchmark's own tables (created if absent). */
    public static JdbiTokenStore postgresStore(javax.sql.DataSource ds) {
        synchronized (Contenders.class) { // DDL from several instances at once would race
            return JdbiTokenStore.builder(ds).tablePrefix("tkbench_").schemaAction(SchemaAction.APPLY).build();
        }
    }

    /** A tokenkeeper instance: its own endpoint client and store connection, as one pod would have. */
    public static Tokenkeeper tokenkeeper(Env env, TokenStore store, AutoCloseable extra, ExpiryPolicy policy, boolean proactive) {
        VertxTokenEndpoint endpoint = VertxTokenEndpoint
                .builder(env.tokenUri(), Peers.CLIENT_ID, Secret.of(Peers.CLIENT_SECRET))
                .build();
        TokenManager.Builder b = TokenManager.builder()
                .expiryPolicy(policy)
                .client("bench", endpoint)
                .store(store)
                .proactiveRefresh(proactive);
        if (store.isPersistent()) {
            b.sealingKeys(SealingKeys.parse(env.sealingSpec()));
        }
        return new Tokenkeeper(b.build(), endpoint, store, extra, env.key());
    }

    /** A tokenkeeper instance whose endpoint binds tokens to a generated DPoP key (a memory store). */
    public static Tokenkeeper tokenkeeperWithDpop(Env env, TokenStore store, ExpiryPolicy policy, boolean proactive) {
        VertxTokenEndpoint endpoint = VertxTokenEndpoint
                .builder(env.tokenUri(), Peers.CLIENT_ID, Secret.of(Peers.CLIENT_SECRET))
                .dpop(dev.tokenkeeper.adapter.http.DpopProofs.generate())
                .build();
        TokenManager manager = TokenManager.builder()
                .expiryPolicy(policy)
                .client("bench", endpoint)
                .store(store)
                .proactiveRefresh(proactive)
                .build();
        return new Tokenkeeper(manager, endpoint, store, null, env.key());
    }

    /** A tokenkeeper manager as a token source. */
    public static final class Tokenkeeper implements TokenSource {
        public final TokenManager manager;
        private final VertxTokenEndpoint endpoint;
        private final TokenStore store;
        private final AutoCloseable extra;
        private final TokenKey key;

        Tokenkeeper(TokenManager manager, VertxTokenEndpoint endpoint, TokenStore store, AutoCloseable extra, TokenKey key) {
            this.manager = manager;
            this.endpoint = endpoint;
            this.store = store;
            this.extra = extra;
            this.key = key;
        }

        @Override
        public String token() {
            return manager.token(key).value().reveal();
        }

        @Override
        public void close() {
            manager.close();
            endpoint.close();
            store.close();
            if (extra != null) {
                try {
                    extra.close();
                } catch (Exception ignored) {
                    // closing at the end of a run
                }
            }
        }
    }
}
