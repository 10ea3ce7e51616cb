package dev.tokenkeeper.bootstrap;

import dev.tokenkeeper.adapter.http.DpopProofs;
import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.adapter.http.SecretSource;
import dev.tokenkeeper.application.Resilience;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.bootstrap.persistence.StoreConfig;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.RetryStrategy;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Grant;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The validated configuration of tokenkeeper: its clients, refresh policy, resilience, store,
 * sealing keys and sidecar. {@link #from(Settings)} reads all of it with one parser, checks
 * everything and reports every problem at once in one {@link ConfigurationException}, each naming
 * the setting and where it came from; no message ever contains a secret.
 *
 * <p>Immutable.
 *
 * @param clients the clients by name, in configuration order
 * @param expiryPolicy when tokens are refreshed and when they count as expired
 * @param proactiveRefresh whether tokens are refreshed before callers ask
 * @param resilience retries, timeouts and breaker around the token endpoints
 * @param store where tokens are shared or kept
 * @param sealingKeys the keys that seal tokens at rest, or null (memory store, or the local file's own key)
 * @param sidecar the sidecar's settings ({@code sidecar.*}), used by {@code tokenkeeper serve}
 * @param proxies the injecting proxy's routes ({@code proxy.<route>.*}), run by {@code tokenkeeper serve}
 * @param sinks the token sinks by name ({@code sinks.*}, issue 13), kept by {@code serve} and {@code exec}
 */
public record TokenkeeperConfig(
        Map<String, ClientConfig> clients,
        ExpiryPolicy expiryPolicy,
        boolean proactiveRefresh,
        Resilience resilience,
        StoreConfig store,
        SealingKeys sealingKeys,
        SidecarConfig sidecar,
        CacheConfig cache,
        Map<String, TokenImport> imports,
        Map<String, JsonLogin> logins,
        Map<String, ApiKeyFallback> fallbacks,
        RefreshTiming refreshTiming,
        Map<String, JwtRules> jwtRules,
        HttpTimeouts httpTimeouts,
        ProxyConfig proxies,
        Map<String, SinkConfig> sinks) {

    /** The longest duration any setting accepts: ten years; anything longer is a typo or an overflow waiting to happen. */
    public static final Duration MAX_DURATION = Duration.ofDays(3650);

    /** The most attempts {@code resilience.attempts} allows (as {@link RetryStrategy}). */
    static final int MAX_ATTEMPTS = 100;

    public TokenkeeperConfig {
        // a copy that keeps the order the clients were configured in (Map.copyOf would not)
        clients = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(clients, "clients")));
        Objects.requireNonNull(expiryPolicy, "expiryPolicy");
        Objects.requireNonNull(resilience, "resilience");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(sidecar, "sidecar");
        Objects.requireNonNull(cache, "cache");
        imports = Map.copyOf(Objects.requireNonNull(imports, "imports"));
        logins = Map.copyOf(Objects.requireNonNull(logins, "logins"));
        fallbacks = Map.copyOf(Objects.requireNonNull(fallbacks, "fallbacks"));
        Objects.requireNonNull(refreshTiming, "refreshTiming");
        jwtRules = Map.copyOf(Objects.requireNonNull(jwtRules, "jwtRules"));
        Objects.requireNonNull(httpTimeouts, "httpTimeouts");
        Objects.requireNonNull(proxies, "proxies");
        sinks = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(sinks, "sinks")));
    }

    /** A configuration without proxy routes. */
    public TokenkeeperConfig(Map<String, ClientConfig> clients, ExpiryPolicy expiryPolicy, boolean proactiveRefresh,
            Resilience resilience, StoreConfig store, SealingKeys sealingKeys, SidecarConfig sidecar, CacheConfig cache,
            Map<String, TokenImport> imports, Map<String, JsonLogin> logins, Map<String, ApiKeyFallback> fallbacks,
            RefreshTiming refreshTiming, Map<String, JwtRules> jwtRules, HttpTimeouts httpTimeouts,
            Map<String, SinkConfig> sinks) {
        this(clients, expiryPolicy, proactiveRefresh, resilience, store, sealingKeys, sidecar, cache, imports, logins,
                fallbacks, refreshTiming, jwtRules, httpTimeouts, ProxyConfig.NONE, sinks);
    }

    /** A configuration without token sinks (as before issue 13). */
    public TokenkeeperConfig(Map<String, ClientConfig> clients, ExpiryPolicy expiryPolicy, boolean proactiveRefresh,
            Resilience resilience, StoreConfig store, SealingKeys sealingKeys, SidecarConfig sidecar, CacheConfig cache,
            Map<String, TokenImport> imports, Map<String, JsonLogin> logins, Map<String, ApiKeyFallback> fallbacks,
            RefreshTiming refreshTiming, Map<String, JwtRules> jwtRules, HttpTimeouts httpTimeouts, ProxyConfig proxies) {
        this(clients, expiryPolicy, proactiveRefresh, resilience, store, sealingKeys, sidecar, cache, imports, logins,
                fallbacks, refreshTiming, jwtRules, httpTimeouts, proxies, Map.of());
    }

    /** A configuration without proxy routes or token sinks. */
    public TokenkeeperConfig(Map<String, ClientConfig> clients, ExpiryPolicy expiryPolicy, boolean proactiveRefresh,
            Resilience resilience, StoreConfig store, SealingKeys sealingKeys, SidecarConfig sidecar, CacheConfig cache,
            Map<String, TokenImport> imports, Map<String, JsonLogin> logins, Map<String, ApiKeyFallback> fallbacks,
            RefreshTiming refreshTiming, Map<String, JwtRules> jwtRules, HttpTimeouts httpTimeouts) {
        this(clients, expiryPolicy, proactiveRefresh, resilience, store, sealingKeys, sidecar, cache, imports, logins,
                fallbacks, refreshTiming, jwtRules, httpTimeouts, ProxyConfig.NONE, Map.of());
    }

    /**
     * The near cache's bounds ({@code cache.*}).
     *
     * @param maximumKeys at most this many keys resident ({@code cache.maximum-keys}); the least
     *     recently used idle ones go first, never one with a flight in progress or a bound handle
     * @param idleTimeout a key unused this long is evicted ({@code cache.idle-timeout})
     */
    public record CacheConfig(int maximumKeys, Duration idleTimeout) {
        /**
         * The manager's defaults: no bound but the idle timeout of 30 minutes (spelled out, not read
         * from the manager's class, so that reading a configuration loads no manager).
         */
        public static final CacheConfig DEFAULT = new CacheConfig(TokenManager.DEFAULT_MAXIMUM_KEYS, Duration.ofMinutes(30));

        public CacheConfig {
            if (maximumKeys < 1) {
                throw new IllegalArgumentException("maximumKeys must be at least 1");
            }
            Objects.requireNonNull(idleTimeout, "idleTimeout");
        }
    }

    /**
     * The JWT validator of a client (issue 12): the access token must be a three-part JWT signed
     * with one of {@code algorithms} and live at most {@code maxLifetime} (default 24 h).
     */
    public record JwtRules(java.util.Set<String> algorithms, Duration maxLifetime) {
        /** The CLI seed's rule: a token valid for more than a day is refused. */
        public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofHours(24);

        public JwtRules {
            algorithms = java.util.Set.copyOf(algorithms);
            Objects.requireNonNull(maxLifetime, "maxLifetime");
        }
    }

    /**
     * Every timeout of a token request (issue 12), null where not set: {@code connect} (TCP and TLS,
     * default 5 s), {@code request} (the whole exchange, default 10 s), {@code read} and {@code write}
     * (the longest pause reading an answer or writing a request, default the request timeout) and
     * {@code pool} (the longest wait for a pooled or new connection, default the connect timeout).
     * Each is capped at {@code resilience.attempt-timeout}, which bounds one attempt.
     */
    public record HttpTimeouts(Duration connect, Duration request, Duration read, Duration write, Duration pool) {
        /** Nothing set: the endpoint's defaults. */
        public static final HttpTimeouts DEFAULTS = new HttpTimeouts(null, null, null, null, null);
    }

    /**
     * An API key handed out, as header {@code header}, only when no token can be had (issue 12): by
     * {@code tokenkeeper token} and the sidecar's {@code /token/{client}}, each time with a
     * {@code FallbackCredentialUsed} event (a WARN line, and the {@code tokenkeeper.fallback.used} metric).
     *
     * @param header the header the key is meant for, default {@value #DEFAULT_HEADER}
     * @param key where the key comes from
     */
    public record ApiKeyFallback(String header, SecretSource key) {
        /** The header an API key usually travels in. */
        public static final String DEFAULT_HEADER = "X-API-Key";

        public ApiKeyFallback {
            Objects.requireNonNull(header, "header");
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String toString() {
            return "ApiKeyFallback[header=" + header + "]";
        }
    }

    /**
     * How often the background refresh looks for refresh-due tokens ({@code refresh.check-interval},
     * default 1 s) and its first pause after a failed background refresh, doubled per failure up to
     * 30 s ({@code refresh.retry-interval}, default 1 s).
     */
    public record RefreshTiming(Duration checkInterval, Duration retryInterval) {
        /**
         * The manager's defaults (its sweep interval and first failure back-off, 1 s each), spelled
         * out rather than read from the manager's class, so that reading a configuration loads no
         * manager (the command line's cache hit reads one).
         */
        public static final RefreshTiming DEFAULTS = new RefreshTiming(Duration.ofSeconds(1), Duration.ofSeconds(1));

        public RefreshTiming {
            Objects.requireNonNull(checkInterval, "checkInterval");
            Objects.requireNonNull(retryInterval, "retryInterval");
        }
    }

    /**
     * A client that (re-)authenticates through a JSON login API (issue 12): {@code POST
     * {"username","password"}} to {@code url}, token JSON back. Its primary grant is that login;
     * refresh tokens go to the client's token URL when one is configured ({@code refreshAtTokenUrl}),
     * else they are not used and the client logs in again when its token comes due.
     *
     * @param url the login URL
     * @param username the user
     * @param password where the password comes from
     * @param refreshAtTokenUrl whether a token URL was configured for refresh-token grants
     */
    public record JsonLogin(URI url, String username, SecretSource password, boolean refreshAtTokenUrl) {
        public JsonLogin {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(password, "password");
        }

        @Override
        public String toString() {
            return "JsonLogin[url=" + url + ", username=" + username + "]";
        }
    }

    /** A configuration without imported tokens. */
    public TokenkeeperConfig(Map<String, ClientConfig> clients, ExpiryPolicy expiryPolicy, boolean proactiveRefresh,
            Resilience resilience, StoreConfig store, SealingKeys sealingKeys, SidecarConfig sidecar) {
        this(clients, expiryPolicy, proactiveRefresh, resilience, store, sealingKeys, sidecar, CacheConfig.DEFAULT, Map.of(), Map.of(), Map.of(),
                RefreshTiming.DEFAULTS, Map.of(), HttpTimeouts.DEFAULTS);
    }

    /**
     * One client registration.
     *
     * @param name the registration name (the {@link TokenKey#client()})
     * @param tokenUrl the token endpoint
     * @param clientId the client id
     * @param secretSource where the client secret comes from (a file is read again when it changes); null
     *     for methods without a secret
     * @param authMethod the RFC 7591 name of the client authentication method, e.g. {@code private_key_jwt}
     * @param scopes the scopes to request
     * @param audience the audience to request, or null
     * @param resource the resource indicator to request, or null
     * @param revocationUrl the RFC 7009 revocation endpoint, or null
     * @param allowInsecureHttp whether http to a non-loopback host is allowed
     * @param auth the issuer (discovery) and the keys and certificates of auth methods beyond the secret
     * @param grant the primary grant ({@code grant}: client credentials by default; token exchange,
     *     JWT bearer, password or an imported refresh token)
     * @param dpop the DPoP key that binds this client's tokens, or null for bearer tokens
     */
    public record ClientConfig(
            String name,
            URI tokenUrl,
            String clientId,
            SecretSource secretSource,
            String authMethod,
            List<String> scopes,
            String audience,
            String resource,
            URI revocationUrl,
            boolean allowInsecureHttp,
            ClientAuthSettings auth,
            Grant grant,
            DpopProofs dpop) {

        /** The client secret now, or null for methods without one. */
        public Secret clientSecret() {
            return secretSource == null ? null : secretSource.current();
        }

        /**
         * What tells this client's stored tokens apart from another client's beyond its name: where
         * tokens come from, the client id, and (other than the default) the authentication method,
         * so that two clients differing only by method never share a token. The manager names store
         * entries with it ({@code ClientRegistration.identity}), and so does the command line's
         * cache hit: this stays the one place it is decided.
         */
        public String identity() {
            String where = tokenUrl != null ? tokenUrl.toString() : "issuer " + auth.issuer();
            return where + " " + clientId + (authMethod.equals("client_secret_basic") ? "" : " auth=" + authMethod);
        }

        /** The key for this client's configured scopes, audience and resource. */
        public TokenKey key() {
            return TokenKey.builder(name).scopes(scopes).audience(audience).resource(resource).build();
        }

    }

    /**
     * The settings of client authentication beyond the secret, and discovery.
     *
     * @param issuer the issuer: endpoints are discovered from it when no token URL is configured; or null
     * @param assertionKey the private_key_jwt key, or null
     * @param assertionAlgorithm the assertions' JWS algorithm, or null for the default
     * @param assertionAudience {@code token-endpoint}, {@code issuer} or a literal, or null for the default
     * @param assertionLifetime how long an assertion is valid
     * @param certificate the TLS client certificate, or null
     * @param trustFile PEM CA certificates to trust for the IdP's TLS, or null for the JDK's
     */
    public record ClientAuthSettings(URI issuer, dev.tokenkeeper.adapter.http.ClientAssertionKey assertionKey,
            String assertionAlgorithm, String assertionAudience, Duration assertionLifetime,
            dev.tokenkeeper.adapter.http.ClientCertificate certificate, java.nio.file.Path trustFile) {

        /** None of it: a client with a token URL and a secret. */
        public static final ClientAuthSettings NONE = new ClientAuthSettings(null, null, null, null, Duration.ofSeconds(60), null, null);
    }

    /**
     * Reads and validates {@code settings}: every section, the sidecar's included.
     *
     * @throws ConfigurationException listing every problem found
     */
    public static TokenkeeperConfig from(Settings settings) {
        return new ConfigReader(Objects.requireNonNull(settings, "settings")).all();
    }

    /**
     * The store {@code settings} configure, alone (for tools that name a store, and for showing
     * what a command would use).
     *
     * @throws ConfigurationException listing the store's problems
     */
    public static StoreConfig storeConfig(Settings settings) {
        ConfigReader reader = new ConfigReader(Objects.requireNonNull(settings, "settings"));
        StoreConfig store = reader.store();
        reader.throwIfAny();
        return store;
    }

    /** The clients in configuration order. */
    public List<ClientConfig> clientList() {
        return List.copyOf(clients.values());
    }

    /** This configuration with {@code store} instead of its own (a command that defaults to another store). */
    public TokenkeeperConfig withStore(StoreConfig store) {
        return new TokenkeeperConfig(clients, expiryPolicy, proactiveRefresh, resilience, store, sealingKeys, sidecar, cache,
                imports, logins, fallbacks, refreshTiming, jwtRules, httpTimeouts, proxies, sinks);
    }

    /**
     * Parses a duration as every setting does: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h},
     * {@code 2d}, a plain number of seconds, or ISO-8601.
     *
     * @throws IllegalArgumentException if it is none of these, or longer than {@link #MAX_DURATION}
     */
    static Duration parseDuration(String text) {
        return ConfigReader.parseDuration(text);
    }
}
