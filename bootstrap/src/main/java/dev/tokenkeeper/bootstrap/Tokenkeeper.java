package dev.tokenkeeper.bootstrap;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.adapter.http.ClientAuthentication;
import dev.tokenkeeper.adapter.http.VertxTokenEndpoint;
import dev.tokenkeeper.adapter.store.jdbc.JdbiTokenStore;
import dev.tokenkeeper.adapter.store.jdbc.SchemaAction;
import dev.tokenkeeper.adapter.store.memory.MemoryTokenStore;
import dev.tokenkeeper.adapter.store.redis.RedisTokenStore;
import dev.tokenkeeper.application.ClientRegistration;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.bootstrap.persistence.LocalFiles;
import dev.tokenkeeper.bootstrap.persistence.ReconnectingStore;
import dev.tokenkeeper.bootstrap.persistence.StoreUrl;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.api.TokenEventListener;
import dev.tokenkeeper.domain.api.TokenProvider;
import dev.tokenkeeper.domain.spi.TokenStore;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A running tokenkeeper assembled from a {@link TokenkeeperConfig}: one Vert.x token endpoint per
 * client (sharing one Vert.x instance), the configured store, and the {@link TokenManager}.
 *
 * <pre>{@code
 * try (Tokenkeeper tk = Tokenkeeper.start(TokenkeeperConfig.from(Settings.load(null, System.getenv())))) {
 *     String header = "Bearer " + tk.provider().token(tk.defaultKey()).value().reveal();
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} stops the manager and closes everything it created.
 */
public final class Tokenkeeper implements AutoCloseable {

    /** A key read once at start to learn whether a Redis store answers; it is never written. */
    private static final StoreKey REACHABILITY_PROBE = new StoreKey("tokenkeeper-reachability-probe");

    /** Store calls must fail fast so that a sick store degrades to a miss instead of stalling callers. */
    public static final Duration STORE_TIMEOUT = Duration.ofMillis(500);

    private final TokenkeeperConfig config;
    private final TokenManager manager;
    private final TokenStore store;
    private final Vertx vertx;
    private final List<VertxTokenEndpoint> endpoints;
    private final List<AutoCloseable> resources;

    private Tokenkeeper(
            TokenkeeperConfig config,
            TokenManager manager,
            TokenStore store,
            Vertx vertx,
            List<VertxTokenEndpoint> endpoints,
            List<AutoCloseable> resources) {
        this.config = config;
        this.manager = manager;
        this.store = store;
        this.vertx = vertx;
        this.endpoints = endpoints;
        this.resources = resources;
    }

    /** Assembles tokenkeeper from {@code config}, logging its events through SLF4J. */
    public static Tokenkeeper start(TokenkeeperConfig config) {
        return start(config, new LoggingEventListener(), InstantSource.system());
    }

    /**
     * Assembles tokenkeeper from {@code config}.
     *
     * @param listener receives every event
     * @param clock decides expiry
     */
    public static Tokenkeeper start(TokenkeeperConfig config, TokenEventListener listener, InstantSource clock) {
        return start(config, listener, clock, false);
    }

    /**
     * Assembles tokenkeeper from {@code config}.
     *
     * @param listener receives every event
     * @param clock decides expiry
     * @param recordHits whether the manager counts near-cache hits (for metrics; costs a counter increment per call)
     */
    public static Tokenkeeper start(
            TokenkeeperConfig config, TokenEventListener listener, InstantSource clock, boolean recordHits) {
        Objects.requireNonNull(config, "config");
        List<AutoCloseable> resources = new ArrayList<>();
        Vertx vertx = Vertx.vertx();
        List<VertxTokenEndpoint> endpoints = new ArrayList<>();
        try {
            TokenStore store = store(config.store(), clock, resources);
            TokenManager.Builder b = TokenManager.builder()
                    .clock(clock)
                    .expiryPolicy(config.expiryPolicy())
                    .resilience(config.resilience())
                    .proactiveRefresh(config.proactiveRefresh())
                    .listener(listener)
                    .recordHits(recordHits)
                    .store(store);
            SealingKeys keys = config.sealingKeys() == null && "file".equals(config.store().type())
                    ? LocalFiles.installed().sealingKeys(Path.of(config.store().url())) // one user's CLI: a key file beside the tokens
                    : config.sealingKeys();
            if (keys != null) {
                b.sealingKeys(keys);
            }
            for (TokenkeeperConfig.ClientConfig c : config.clientList()) {
                VertxTokenEndpoint.Builder eb = VertxTokenEndpoint.builder(c.tokenUrl(), c.clientId(), c.secretSource())
                        .clientAuthentication(c.authMethod().equals("client_secret_post")
                                ? ClientAuthentication.CLIENT_SECRET_POST
                                : ClientAuthentication.CLIENT_SECRET_BASIC)
                        .allowInsecureHttp(c.allowInsecureHttp())
                        // an attempt the manager gave up on must not hold a connection any longer
                        .requestTimeout(min(VertxTokenEndpoint.DEFAULT_REQUEST_TIMEOUT, config.resilience().attemptTimeout()))
                        .connectTimeout(min(VertxTokenEndpoint.DEFAULT_CONNECT_TIMEOUT, config.resilience().attemptTimeout()))
                        .vertx(vertx)
                        .clock(clock);
                if (c.revocationUrl() != null) {
                    eb.revocationUrl(c.revocationUrl());
                }
                VertxTokenEndpoint endpoint = eb.build();
                endpoints.add(endpoint);
                // the identity keeps a renamed or repointed client from reading another's stored tokens
                b.client(ClientRegistration.clientCredentials(c.name(), endpoint).withIdentity(c.tokenUrl() + " " + c.clientId()));
            }
            return new Tokenkeeper(config, b.build(), store, vertx, endpoints, resources);
        } catch (RuntimeException e) {
            endpoints.forEach(VertxTokenEndpoint::close);
            closeAll(resources);
            vertx.close();
            throw e;
        }
    }

    private static TokenStore store(TokenkeeperConfig.StoreConfig s, InstantSource clock, List<AutoCloseable> resources) {
        switch (s.type()) {
            case "redis" -> {
                RedisTokenStore.Builder b = redis(s.credentials(), STORE_TIMEOUT);
                if (s.prefix() != null) {
                    b.keyPrefix(s.prefix());
                }
                RedisTokenStore store = b.build();
                resources.add(store);
                // down at start: memory and one WARN until it answers (see ReconnectingStore)
                return reconnecting("redis", () -> {
                    store.load(REACHABILITY_PROBE);
                    return store;
                }, clock, resources);
            }
            case "jdbc" -> {
                HikariDataSource pool = pool(s.credentials());
                resources.add(pool);
                JdbiTokenStore.Builder b = JdbiTokenStore.builder(pool).clock(clock).schemaAction(SchemaAction.APPLY);
                if (s.prefix() != null) {
                    b.tablePrefix(s.prefix());
                }
                // building needs the database (dialect, schema): down at start, memory and one WARN until it answers
                return reconnecting("jdbc", b::build, clock, resources);
            }
            case "file" -> {
                LocalFiles.Opened local = LocalFiles.installed().open(Path.of(s.url()), clock, s.prefix());
                resources.add(local);
                return local.store();
            }
            default -> {
                return new MemoryTokenStore(clock);
            }
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

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /**
     * A builder for a Redis store at {@code url}, its password handed to the client apart from the
     * URI, so that neither a URI parser nor a driver message can show it.
     *
     * @throws ConfigurationException if the location is not a valid URI (the message shows no password)
     */
    public static RedisTokenStore.Builder redis(StoreUrl url, Duration timeout) {
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

    /** A small pool with short timeouts: a dead database must fail calls quickly, not queue them. */
    public static HikariDataSource pool(String jdbcUrl) {
        return pool(new StoreUrl(jdbcUrl, null, null));
    }

    /**
     * A small pool with short timeouts for {@code url}, its user and password given to the driver as
     * properties, never in the URL.
     */
    public static HikariDataSource pool(StoreUrl url) {
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
        }
        return new HikariDataSource(hc);
    }

    /** The token provider business code depends on. */
    public TokenProvider provider() {
        return manager;
    }

    /** The manager itself, for status and statistics. */
    public TokenManager manager() {
        return manager;
    }

    /** The store in use. */
    public TokenStore store() {
        return store;
    }

    /**
     * The Vert.x instance the token endpoints run on. A server in the same process (the sidecar)
     * runs on it too, so that a process has one set of event loops; it is closed by {@link #close()}.
     */
    public Vertx vertx() {
        return vertx;
    }

    /** The configuration in force. */
    public TokenkeeperConfig config() {
        return config;
    }

    /** The key of the only client, or of the client named {@value Settings#DEFAULT_CLIENT}. */
    public TokenKey defaultKey() {
        Map<String, TokenkeeperConfig.ClientConfig> clients = config.clients();
        if (clients.size() == 1) {
            return clients.values().iterator().next().key();
        }
        TokenkeeperConfig.ClientConfig c = clients.get(Settings.DEFAULT_CLIENT);
        if (c == null) {
            throw new IllegalStateException("several clients are configured " + clients.keySet() + "; name one");
        }
        return c.key();
    }

    /** The key of the client {@code name}, with its configured scopes. */
    public TokenKey key(String name) {
        TokenkeeperConfig.ClientConfig c = config.clients().get(name);
        if (c == null) {
            throw new IllegalArgumentException("no client named '" + name + "' (configured: " + config.clients().keySet() + ")");
        }
        return c.key();
    }

    @Override
    public void close() {
        manager.close();
        endpoints.forEach(VertxTokenEndpoint::close);
        closeAll(resources);
        vertx.close();
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
}
