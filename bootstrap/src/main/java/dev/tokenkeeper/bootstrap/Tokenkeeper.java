package dev.tokenkeeper.bootstrap;

import dev.tokenkeeper.adapter.http.ClientAuthentication;
import dev.tokenkeeper.adapter.http.TokenResponseValidator;
import dev.tokenkeeper.adapter.http.VertxTokenEndpoint;
import dev.tokenkeeper.application.ClientRegistration;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.application.TokenManager;
import java.util.Optional;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.api.AuthenticatedRequests;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.spi.TokenResponse;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenEndpoint;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.bootstrap.persistence.LocalFiles;
import dev.tokenkeeper.bootstrap.persistence.StoreConfig;
import dev.tokenkeeper.bootstrap.persistence.Stores;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEventListener;
import dev.tokenkeeper.domain.api.TokenProvider;
import dev.tokenkeeper.domain.spi.TokenStore;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one entry point for embedding tokenkeeper: a running token manager assembled from a
 * {@link TokenkeeperConfig} (one Vert.x token endpoint per client, all on one Vert.x instance, the
 * configured store and sealing keys). The configuration comes from settings, or is written in code:
 *
 * <pre>{@code
 * // from the environment and an optional properties file
 * try (Tokenkeeper tk = Tokenkeeper.start(TokenkeeperConfig.from(Settings.load(configFile, System.getenv())))) {
 *     String header = "Bearer " + tk.provider().token(tk.defaultKey()).value().reveal();
 * }
 *
 * // programmatically, with your own listener and your application's Vert.x
 * TokenkeeperConfig config = TokenkeeperConfig.from(Settings.of(Map.of(
 *         "clients.orders.token-url", "https://idp.example.com/oauth2/token",
 *         "clients.orders.client-id", "orders",
 *         "clients.orders.client-secret-env", "ORDERS_SECRET")));
 * Tokenkeeper tk = Tokenkeeper.builder(config).listener(myListener).vertx(myVertx).start();
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} stops the manager and closes everything it created.
 */
public final class Tokenkeeper implements AutoCloseable {

    private final TokenkeeperConfig config;
    private final TokenManager manager;
    private final Stores.Opened store;
    private final Vertx vertx;
    private final boolean ownsVertx;
    private final List<VertxTokenEndpoint> endpoints;
    private final List<AutoCloseable> resources;

    private Tokenkeeper(TokenkeeperConfig config, TokenManager manager, Stores.Opened store, Vertx vertx, boolean ownsVertx,
            List<VertxTokenEndpoint> endpoints, List<AutoCloseable> resources) {
        this.config = config;
        this.manager = manager;
        this.store = store;
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
        this.endpoints = endpoints;
        this.resources = resources;
    }

    /**
     * Assembles tokenkeeper from {@code config}, logging its events through SLF4J, on the system clock.
     *
     * @throws ConfigurationException if the store cannot be opened as configured
     */
    public static Tokenkeeper start(TokenkeeperConfig config) {
        return builder(config).start();
    }

    /** A builder for a tokenkeeper assembled from {@code config}. */
    public static Builder builder(TokenkeeperConfig config) {
        return new Builder(config);
    }

    /**
     * How a {@link Tokenkeeper} is assembled beyond its configuration. Not thread-safe; each
     * {@link #start()} assembles a new one.
     */
    public static final class Builder {
        private final TokenkeeperConfig config;
        private TokenEventListener listener = new LoggingEventListener();
        private InstantSource clock = InstantSource.system();
        private boolean recordHits;
        private Vertx vertx;

        private Builder(TokenkeeperConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /** Receives every event (default: one SLF4J log line per meaningful event, {@link LoggingEventListener}). */
        public Builder listener(TokenEventListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Decides expiry (default: the system clock). */
        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Whether the manager counts near-cache hits (for metrics; costs a counter increment per call). Default false. */
        public Builder recordHits(boolean recordHits) {
            this.recordHits = recordHits;
            return this;
        }

        /**
         * The Vert.x instance the token endpoints run on, which the caller keeps owning (default: one
         * made for this tokenkeeper and closed with it). An application on Vert.x passes its own so that
         * the process has one set of event loops.
         */
        public Builder vertx(Vertx vertx) {
            this.vertx = Objects.requireNonNull(vertx, "vertx");
            return this;
        }

        /**
         * Assembles and starts it.
         *
         * @throws ConfigurationException if the store cannot be opened as configured
         */
        public Tokenkeeper start() {
            return Tokenkeeper.assemble(this);
        }
    }

    private static Tokenkeeper assemble(Builder o) {
        TokenkeeperConfig config = o.config;
        boolean ownsVertx = o.vertx == null;
        Vertx vertx = ownsVertx ? Vertx.vertx() : o.vertx;
        List<VertxTokenEndpoint> endpoints = new ArrayList<>();
        List<AutoCloseable> resources = new ArrayList<>();
        Stores.Opened store = null;
        try {
            store = Stores.open(config.store(), Stores.Use.SERVE, o.clock);
            TokenManager.Builder b = TokenManager.builder()
                    .clock(o.clock)
                    .expiryPolicy(config.expiryPolicy())
                    .resilience(config.resilience())
                    .proactiveRefresh(config.proactiveRefresh())
                    .maximumKeys(config.cache().maximumKeys())
                    .idleTimeout(config.cache().idleTimeout())
                    .sweepInterval(config.refreshTiming().checkInterval())
                    .failureBackoff(config.refreshTiming().retryInterval())
                    .listener(o.listener)
                    .recordHits(o.recordHits)
                    .store(store.store());
            SealingKeys keys = config.sealingKeys() == null && config.store().kind() == StoreConfig.Kind.FILE
                    ? LocalFiles.installed().sealingKeys(Path.of(config.store().url())) // one user's CLI: a key file beside the tokens
                    : config.sealingKeys();
            if (keys != null) {
                b.sealingKeys(keys);
            }
            Duration attemptTimeout = config.resilience().attemptTimeout();
            TokenkeeperConfig.HttpTimeouts http = config.httpTimeouts();
            for (TokenkeeperConfig.ClientConfig c : config.clientList()) {
                VertxTokenEndpoint.Builder eb = clientAuthentication(c)
                        .allowInsecureHttp(c.allowInsecureHttp())
                        // an attempt the manager gave up on must not hold a connection any longer
                        .requestTimeout(min(orDefault(http.request(), VertxTokenEndpoint.DEFAULT_REQUEST_TIMEOUT), attemptTimeout))
                        .connectTimeout(min(orDefault(http.connect(), VertxTokenEndpoint.DEFAULT_CONNECT_TIMEOUT),
                                min(orDefault(http.request(), VertxTokenEndpoint.DEFAULT_REQUEST_TIMEOUT), attemptTimeout)))
                        .ioTimeouts(capped(http.read(), attemptTimeout, http.request()),
                                capped(http.write(), attemptTimeout, http.request()),
                                capped(http.pool(), attemptTimeout, http.request()))
                        .vertx(vertx)
                        .clock(o.clock);
                if (c.revocationUrl() != null) {
                    eb.revocationUrl(c.revocationUrl());
                }
                if (c.dpop() != null) {
                    eb.dpop(c.dpop());
                }
                TokenkeeperConfig.JwtRules jwt = config.jwtRules().get(c.name());
                if (jwt != null) {
                    eb.validator(TokenResponseValidator.jwt(jwt.algorithms(), jwt.maxLifetime()));
                }
                TokenkeeperConfig.JsonLogin login = config.logins().get(c.name());
                if (login != null) {
                    eb.jsonLogin(login.url());
                }
                VertxTokenEndpoint endpoint = eb.build();
                endpoints.add(endpoint);
                // the identity keeps a renamed or repointed client from reading another's stored tokens
                // (a DPoP key's thumbprint is added by the registration itself: see ClientRegistration.storeIdentity)
                ClientRegistration registration = login == null
                        ? new ClientRegistration(c.name(), endpoint, c.grant())
                        : new ClientRegistration(c.name(), login.refreshAtTokenUrl() ? endpoint : new LoginOnly(endpoint),
                                new Grant.Password(login.username(), login.password().current()));
                b.client(registration.withIdentity(c.identity()));
            }
            TokenManager manager = b.build();
            try {
                importTokens(config, manager, o.clock);
            } catch (RuntimeException e) {
                manager.close();
                throw e;
            }
            Tokenkeeper tk = new Tokenkeeper(config, manager, store, vertx, ownsVertx, endpoints, resources);
            tk.events = o.listener;
            return tk;
        } catch (RuntimeException e) {
            endpoints.forEach(VertxTokenEndpoint::close);
            if (store != null) {
                store.close();
            }
            if (ownsVertx) {
                vertx.close();
            }
            throw e;
        }
    }

    /** The endpoint builder for {@code c}'s token URL or issuer, with its client authentication. */
    private static VertxTokenEndpoint.Builder clientAuthentication(TokenkeeperConfig.ClientConfig c) {
        TokenkeeperConfig.ClientAuthSettings a = c.auth() == null ? TokenkeeperConfig.ClientAuthSettings.NONE : c.auth();
        VertxTokenEndpoint.Builder eb = c.tokenUrl() != null
                ? VertxTokenEndpoint.builder(c.tokenUrl(), c.clientId(), c.secretSource())
                : VertxTokenEndpoint.discover(a.issuer(), c.clientId(), c.secretSource());
        eb.clientAuthentication(ClientAuthentication.fromRfcName(c.authMethod()));
        if (c.tokenUrl() != null && a.issuer() != null) {
            eb.issuer(a.issuer());
        }
        if (a.assertionKey() != null) {
            eb.clientAssertionKey(a.assertionKey());
        }
        if (a.assertionAlgorithm() != null) {
            eb.assertionAlgorithm(a.assertionAlgorithm());
        }
        if (a.assertionAudience() != null) {
            eb.assertionAudience(a.assertionAudience());
        }
        eb.assertionLifetime(a.assertionLifetime());
        if (a.certificate() != null) {
            eb.clientCertificate(a.certificate());
        }
        if (a.trustFile() != null) {
            eb.trustedCertificates(a.trustFile());
        }
        return eb;
    }

    /**
     * Puts each client's configured token pair in, unless a token is already held for it (in the
     * store): the same environment is imported at every start, and must not replace a token
     * refreshed since, whose refresh token may have rotated.
     */
    private static void importTokens(TokenkeeperConfig config, TokenManager manager, InstantSource clock) {
        config.imports().forEach((name, i) -> {
            TokenkeeperConfig.ClientConfig c = config.clients().get(name);
            if (c != null) {
                manager.putIfAbsent(c.key(), i.token(clock.instant()));
            }
        });
    }

    /**
     * A JSON-login client without a token URL: refresh tokens the login API sends are dropped (there
     * is nowhere to send them), so the client logs in again when its token comes due.
     */
    private record LoginOnly(VertxTokenEndpoint endpoint) implements TokenEndpoint {
        @Override
        public java.util.concurrent.CompletionStage<TokenResponse> request(TokenRequest request) {
            return endpoint.request(request).thenApply(r -> r.refreshToken() == null ? r
                    : new TokenResponse(r.accessToken(), r.tokenType(), r.expiresIn(), r.scopes(), null, null));
        }

        @Override
        public long credentialsVersion() {
            return endpoint.credentialsVersion();
        }
    }

    private static Duration orDefault(Duration given, Duration fallback) {
        return given != null ? given : fallback;
    }

    /** {@code given} (null: none) within the attempt timeout and the configured request timeout. */
    private static Duration capped(Duration given, Duration attemptTimeout, Duration request) {
        if (given == null) {
            return null;
        }
        Duration d = min(given, attemptTimeout);
        return request == null ? min(d, VertxTokenEndpoint.DEFAULT_REQUEST_TIMEOUT) : min(d, request);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** The token provider business code depends on. */
    /** The listener events go to (logs, metrics), for callers that raise their own, such as a fallback. */
    private volatile TokenEventListener events = e -> {}; // set once by assemble, before the instance is handed out

    /**
     * The client's API-key fallback for a caller that could not get a token ({@code cause}), with a
     * {@link TokenEvent.FallbackCredentialUsed} event each time; empty (and no event) if none is
     * configured (issue 12).
     */
    public Optional<TokenkeeperConfig.ApiKeyFallback> fallback(TokenKey key, TokenException cause) {
        TokenkeeperConfig.ApiKeyFallback f = config.fallbacks().get(key.client());
        if (f == null) {
            return Optional.empty();
        }
        try {
            events.onEvent(new TokenEvent.FallbackCredentialUsed(key, cause.kind()));
        } catch (RuntimeException ignored) {
            // observation must never break the caller
        }
        return Optional.of(f);
    }

    public TokenProvider provider() {
        return manager;
    }

    /** The manager itself, for status, statistics, revocation and circuit states. */
    public TokenManager manager() {
        return manager;
    }

    /** The store in use. */
    public TokenStore store() {
        return store.store();
    }

    /**
     * The Vert.x instance the token endpoints run on. A server in the same process (the sidecar)
     * runs on it too, so that a process has one set of event loops. Closed by {@link #close()} unless
     * it was given to the {@link Builder#vertx builder}.
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

    /** The request rules handed out so far, one per key (so that an origin's DPoP nonce is remembered across them). */
    private final Map<TokenKey, AuthenticatedRequests> requests = new ConcurrentHashMap<>();

    /**
     * The rules of authenticated requests for the configured client {@code name} (its configured
     * scopes), from which every HTTP client integration can be built (JDK {@code HttpClient}, OkHttp,
     * Spring): tokens from this tokenkeeper and, for a client with {@code clients.<name>.dpop=true} (or a
     * {@code dpop-key-file}), a DPoP proof per request signed with the key its token endpoint binds the
     * tokens to. The same instance for the same client.
     *
     * @throws IllegalArgumentException if no client has that name
     */
    public AuthenticatedRequests requests(String name) {
        return requests(key(name));
    }

    /** As {@link #requests(String)}, for a key of a configured client with scopes, audience or resource of its own. */
    public AuthenticatedRequests requests(TokenKey key) {
        Objects.requireNonNull(key, "key");
        TokenkeeperConfig.ClientConfig c = config.clients().get(key.client());
        if (c == null) {
            throw new IllegalArgumentException("no client named '" + key.client() + "' (configured: " + config.clients().keySet() + ")");
        }
        return requests.computeIfAbsent(key, k -> c.dpop() == null
                ? AuthenticatedRequests.of(manager, k)
                : AuthenticatedRequests.of(manager, k, c.dpop()));
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
        store.close();
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception ignored) {
                // closing is best effort; nothing useful to do with the failure
            }
        }
        if (ownsVertx) {
            vertx.close();
        }
    }
}
