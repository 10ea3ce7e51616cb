package dev.tokenkeeper.bootstrap.persistence;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.adapter.store.jdbc.JdbiTokenStore;
import dev.tokenkeeper.adapter.store.jdbc.SchemaAction;
import dev.tokenkeeper.adapter.store.memory.MemoryTokenStore;
import dev.tokenkeeper.adapter.store.redis.RedisTokenStore;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The one store factory: a {@link StoreConfig} opened for a {@link Use}, with one switch over the
 * {@link StoreConfig.Kind kinds}. A password never stays in a URL: it is handed to the driver on
 * its own (see {@link StoreUrl}), so no driver or parser message can show it.
 *
 * <p>Thread-safe (stateless).
 */
public final class Stores {

    /** Store calls on the request path must fail fast, so that a sick store degrades to a miss instead of stalling callers. */
    static final Duration SERVING_TIMEOUT = Duration.ofMillis(500);

    /** Longer than the request path's: a tool may wait for a busy server. */
    static final Duration TOOL_TIMEOUT = Duration.ofSeconds(5);

    /** A key read once at start to learn whether a Redis store answers; it is never written. */
    private static final StoreKey REACHABILITY_PROBE = new StoreKey("tokenkeeper-reachability-probe");

    /** What the store is opened for. */
    public enum Use {
        /**
         * Tokens on the request path: short timeouts; a shared store that is down at start is used
         * once it answers (memory and one WARN until then, see {@link ReconnectingStore}); tables are
         * made or upgraded.
         */
        SERVE,
        /** A tool reads it: tables are validated, never created or changed; a local file must exist. */
        SOURCE,
        /** A tool writes it: tables are validated. */
        TARGET,
        /** A tool writes it, creating or upgrading its tables first. */
        TARGET_APPLYING_SCHEMA
    }

    private Stores() {}

    /**
     * Opens {@code config} for {@code use}.
     *
     * @throws ConfigurationException if a tool's tables are missing or unknown, a source file does
     *     not exist, the local file is refused, or a URI is not usable (no message shows a password)
     * @throws RuntimeException (a store's own exception) if a tool's store cannot be reached
     */
    public static Opened open(StoreConfig config, Use use, InstantSource clock) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(use, "use");
        Objects.requireNonNull(clock, "clock");
        boolean serving = use == Use.SERVE;
        Duration timeout = serving ? SERVING_TIMEOUT : TOOL_TIMEOUT;
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            TokenStore store = switch (config.kind()) {
                case MEMORY -> new MemoryTokenStore(clock);
                case FILE -> {
                    Path dir = Path.of(config.url());
                    if (use == Use.SOURCE && !Files.exists(dir.resolve(LocalFiles.DATABASE_FILE), LinkOption.NOFOLLOW_LINKS)
                            && !Files.exists(dir.resolve(LocalFiles.SEALED_FILE), LinkOption.NOFOLLOW_LINKS)) {
                        throw new ConfigurationException("no token file " + dir.resolve(LocalFiles.SEALED_FILE));
                    }
                    LocalFiles.Opened local = LocalFiles.installed().open(dir, clock, config.prefix());
                    resources.add(local);
                    if (!serving && local.inMemoryOnly()) {
                        throw new IllegalStateException("the token file in " + dir + " could not be opened (see the WARN line)");
                    }
                    yield local.store();
                }
                case JDBC -> {
                    if (config.url().regionMatches(true, 0, "jdbc:h2:", 0, "jdbc:h2:".length())) {
                        // before H2 runs what a file holds; an application that brings its own H2 checks its own files
                        LocalFiles.find().ifPresent(f -> f.requireSafeH2(config.url()));
                    }
                    HikariDataSource pool = pool(config.credentials());
                    resources.add(pool);
                    JdbiTokenStore.Builder b = JdbiTokenStore.builder(pool).clock(clock).schemaAction(
                            use == Use.SERVE || use == Use.TARGET_APPLYING_SCHEMA ? SchemaAction.APPLY : SchemaAction.VALIDATE);
                    if (!serving) {
                        b.queryTimeout(TOOL_TIMEOUT);
                    }
                    if (config.prefix() != null) {
                        b.tablePrefix(config.prefix());
                    }
                    // building needs the database (dialect, schema): serving, down at start, memory until it answers
                    yield serving ? reconnecting("jdbc", b::build, clock, resources) : b.build();
                }
                case REDIS -> {
                    RedisTokenStore.Builder b = redis(config.credentials(), timeout);
                    if (config.prefix() != null) {
                        b.keyPrefix(config.prefix());
                    }
                    RedisTokenStore redis = b.build();
                    resources.add(redis);
                    yield serving ? reconnecting("redis", () -> {
                        redis.load(REACHABILITY_PROBE);
                        return redis;
                    }, clock, resources) : redis;
                }
            };
            return new Opened(config, store, resources);
        } catch (RuntimeException e) {
            closeAll(resources);
            throw e;
        }
    }

    private static TokenStore reconnecting(String kind, Supplier<TokenStore> connect, InstantSource clock,
            List<AutoCloseable> resources) {
        TokenStore store = ReconnectingStore.open(kind, connect, clock);
        if (store instanceof ReconnectingStore r) {
            resources.add(0, r); // stop its retries before the pool or client closes
        }
        return store;
    }

    /**
     * A builder for a Redis store at {@code url}, its password handed to the client apart from the
     * URI, so that neither a URI parser nor a driver message can show it.
     */
    private static RedisTokenStore.Builder redis(StoreUrl url, Duration timeout) {
        URI uri;
        try {
            uri = new URI(url.location());
        } catch (URISyntaxException e) {
            throw new ConfigurationException("the Redis URI " + url + " is not valid: " + e.getReason()
                    + " (percent-encode special characters)");
        }
        RedisTokenStore.Builder b;
        try {
            b = RedisTokenStore.connectBuilder(uri, timeout);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("the Redis URI " + url + " is not usable: " + url.scrub(e.getMessage()));
        }
        return url.password() == null ? b : b.credentials(url.user(), url.password());
    }

    /**
     * A small pool with short timeouts for {@code url} (a dead database must fail calls quickly, not
     * queue them), its user and password given to the driver as properties, never in the URL.
     */
    private static HikariDataSource pool(StoreUrl url) {
        HikariConfig hc = new HikariConfig();
        String jdbcUrl = url.location();
        hc.setJdbcUrl(jdbcUrl);
        if (url.user() != null) {
            hc.setUsername(url.user());
        }
        if (url.password() != null) {
            hc.setPassword(url.password().reveal());
        }
        hc.setPoolName("tokenkeeper");
        hc.setMaximumPoolSize(8);
        hc.setMinimumIdle(0);
        hc.setConnectionTimeout(2_000);
        hc.setValidationTimeout(1_000);
        hc.setInitializationFailTimeout(-1); // start even if the database is down; calls degrade to misses
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            hc.addDataSourceProperty("connectTimeout", "2");
            hc.addDataSourceProperty("socketTimeout", "5");
        } else if (jdbcUrl.startsWith("jdbc:mariadb:")) {
            hc.addDataSourceProperty("connectTimeout", "2000"); // milliseconds, where PostgreSQL counts seconds
            hc.addDataSourceProperty("socketTimeout", "5000");
        }
        return new HikariDataSource(hc);
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception ignored) {
                // closing is best effort; nothing useful to do with the failure
            }
        }
    }

    /** An open store and what it holds open. Closing it closes the store, then those. */
    public static final class Opened implements AutoCloseable {
        private final StoreConfig config;
        private final TokenStore store;
        private final List<AutoCloseable> resources;

        Opened(StoreConfig config, TokenStore store, List<AutoCloseable> resources) {
            this.config = config;
            this.store = store;
            this.resources = resources;
        }

        /** The store. */
        public TokenStore store() {
            return store;
        }

        /** What it was opened from. */
        public StoreConfig config() {
            return config;
        }

        @Override
        public void close() {
            try {
                store.close();
            } catch (RuntimeException ignored) {
                // best effort, as for the resources
            }
            closeAll(resources);
        }
    }
}
