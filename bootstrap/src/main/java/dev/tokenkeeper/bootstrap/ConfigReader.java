package dev.tokenkeeper.bootstrap;

import dev.tokenkeeper.adapter.http.DpopProofs;
import dev.tokenkeeper.adapter.http.ClientAssertionKey;
import dev.tokenkeeper.adapter.http.ClientAuthentication;
import dev.tokenkeeper.adapter.http.ClientCertificate;
import dev.tokenkeeper.adapter.http.SecretSource;
import dev.tokenkeeper.application.Resilience;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.bootstrap.persistence.LocalFiles;
import dev.tokenkeeper.bootstrap.persistence.StoreConfig;
import dev.tokenkeeper.bootstrap.persistence.StoreUrl;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.domain.RetryStrategy;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Grant;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one parser of tokenkeeper's settings: clients, refresh, resilience, store, sealing and
 * sidecar are all read here, with the same rules for booleans, numbers, durations, URLs, hosts and
 * secrets (inline, from a variable, from a file), and every problem collected so that one
 * {@link ConfigurationException} lists them all, each naming the setting and where it came from.
 * No message shows a secret.
 *
 * <p>One reader per parse; not thread-safe.
 */
final class ConfigReader {

    /** Warnings already given: a process that reads its configuration twice warns once. */
    private static final Set<String> WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static final Pattern CLIENT_KEY = Pattern.compile("clients\\.([A-Za-z0-9_-]+)\\.(.+)");
    private static final Set<String> CLIENT_SETTINGS = Set.of("token-url", "client-id", "client-secret",
            "client-secret-env", "client-secret-file", "auth-method", "scope", "audience", "resource",
            "revocation-url", "allow-insecure-http",
            // client authentication beyond the secret, and discovery (ClientAuthSettings)
            "issuer", "assertion-key-file", "assertion-key-id", "assertion-key-alias", "assertion-key-password-env",
            "assertion-key-password-file", "assertion-algorithm", "assertion-audience", "assertion-lifetime",
            "tls-cert-file", "tls-key-file", "tls-keystore-file", "tls-keystore-password-env", "tls-keystore-password-file",
            "trust-file",
            // grants and DPoP (see grant() and dpop())
            "grant", "subject-token-env", "subject-token-file", "subject-token-type", "actor-token-env",
            "actor-token-file", "actor-token-type", "requested-token-type", "grant-assertion-env", "grant-assertion-file",
            "username", "password-env", "password-file", "dpop", // refresh-token-env/-file: listed below
            "dpop-key-file",
            // issue 12: a token pair obtained elsewhere, put in at start unless one is already held
            "access-token", "access-token-env", "access-token-file", "access-token-expires-at",
            "refresh-token", "refresh-token-env", "refresh-token-file",
            // issue 12: re-authentication through a JSON login API: POST {"username","password"} -> token JSON
            "login-url", "login-username", "login-password", "login-password-env", "login-password-file",
            // issue 12: an API key handed out only when no token can be had (CLI token, sidecar /token)
            "fallback-api-key", "fallback-api-key-env", "fallback-api-key-file", "fallback-api-key-header",
            // issue 12: the JWT validator (off unless jwt-algorithms is set)
            "jwt-algorithms", "jwt-max-lifetime");
    private static final Set<String> GLOBAL_SETTINGS = Set.of("refresh.ahead", "refresh.ahead-fraction",
            "refresh.clock-skew", "refresh.jitter", "refresh.proactive", "resilience.attempts",
            "resilience.attempt-timeout", "resilience.deadline", "breaker.failures", "breaker.open-delay",
            "store.type", "store.url", "store.prefix", "store.path", "store.password", "store.password-env",
            "store.password-file", "sealing.keys", "sealing.keys-env", "sealing.keys-file",
            "cache.maximum-keys", "cache.idle-timeout",

            // issue 12: the retry strategy and the Retry-After cap from configuration
            "resilience.retry", "resilience.retry-base-delay", "resilience.retry-max-delay", "resilience.retry-factor",
            "resilience.retry-jitter", "resilience.retry-after-max",
            // issue 12: how often the background refresh looks, and its first pause after a failure
            "refresh.check-interval", "refresh.retry-interval",
            // issue 12: every timeout of a token request
            "http.connect-timeout", "http.request-timeout", "http.read-timeout", "http.write-timeout", "http.pool-timeout");
    static final Set<String> SIDECAR_SETTINGS = Set.of("sidecar.host", "sidecar.port", "sidecar.allow-remote-bind",
            "sidecar.token-endpoint.enabled", "sidecar.token-endpoint.secret-env", "sidecar.token-endpoint.secret-file",
            "sidecar.shutdown-grace", "sidecar.keep-warm", "sidecar.allowed-hosts", "sidecar.idle-timeout",
            "sidecar.header-timeout");
    /** Issue 13: the keys of one token sink, {@code sinks.<name>.<key>} (see {@link #sinks}). */
    static final Set<String> SINK_SETTINGS = Set.of("client", "path", "format", "env-name", "mode", "group", "on-shutdown");
    private static final Pattern SINK_KEY = Pattern.compile("sinks\\.([A-Za-z0-9_-]+)\\.(.+)");

    private static final String OUT_OF_RANGE = "out of range";
    /** {@code TokenManager.MAX_FAILURE_BACKOFF} (checked equal by CacheSettingsTest). */
    static final Duration MAX_RETRY_INTERVAL = Duration.ofSeconds(30);
    private static final Pattern DURATION = Pattern.compile("(-?\\d+)(ms|s|m|h|d)?");

    private final Settings settings;
    private final List<String> problems = new ArrayList<>();

    ConfigReader(Settings settings) {
        this.settings = settings;
    }

    // ------------------------------------------------------------------------------------------
    // The sections

    /** Everything: clients, refresh, resilience, store, sealing and sidecar. */
    TokenkeeperConfig all() {
        settings.unknownVariables().forEach(ConfigReader::warnOnce);
        Map<String, Map<String, String>> byClient = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : settings.all().entrySet()) {
            Matcher m = CLIENT_KEY.matcher(e.getKey());
            if (m.matches()) {
                if (!CLIENT_SETTINGS.contains(m.group(2))) {
                    add(e.getKey(), "unknown client setting (known: " + new TreeSet<>(CLIENT_SETTINGS) + ")");
                    continue;
                }
                byClient.computeIfAbsent(m.group(1), k -> new LinkedHashMap<>()).put(m.group(2), e.getValue());
            } else if (e.getKey().startsWith("proxy.")) {
                // checked by proxies()
            } else if (e.getKey().startsWith("sidecar.")) {
                if (!SIDECAR_SETTINGS.contains(e.getKey())) {
                    add(e.getKey(), "unknown sidecar setting (known: " + new TreeSet<>(SIDECAR_SETTINGS) + ")");
                }
            } else if (e.getKey().startsWith("sinks.")) {
                // issue 13: read by sinks()
            } else if (!GLOBAL_SETTINGS.contains(e.getKey())) {
                add(e.getKey(), "unknown setting");
            }
        }
        if (byClient.isEmpty()) {
            add("clients", "no client configured: set OAUTH_TOKEN_URL, OAUTH_CLIENT_ID and "
                    + "OAUTH_CLIENT_SECRET, or clients.<name>.token-url, .client-id and .client-secret-env in a config file");
        }
        Map<String, TokenkeeperConfig.ClientConfig> clients = new LinkedHashMap<>(); // configuration order
        Map<String, TokenImport> imports = new LinkedHashMap<>();
        Map<String, TokenkeeperConfig.JsonLogin> logins = new LinkedHashMap<>();
        Map<String, TokenkeeperConfig.ApiKeyFallback> fallbacks = new LinkedHashMap<>();
        Map<String, TokenkeeperConfig.JwtRules> jwtRules = new LinkedHashMap<>();
        byClient.forEach((name, values) -> {
            TokenkeeperConfig.ClientConfig c = client(name, values);
            if (c != null) {
                clients.put(name, c);
            }
            TokenkeeperConfig.JsonLogin l = jsonLogin(name, values);
            if (l != null) {
                logins.put(name, l);
            }
            TokenkeeperConfig.JwtRules j = jwtRules(name, values);
            if (j != null) {
                jwtRules.put(name, j);
            }
            TokenkeeperConfig.ApiKeyFallback f = apiKeyFallback(name, values);
            if (f != null) {
                fallbacks.put(name, f);
            }
            TokenImport i = tokenImport(name);
            if (i != null) {
                imports.put(name, i);
            }
        });
        ExpiryPolicy expiry = expiryPolicy();
        boolean proactive = bool("refresh.proactive", true);
        Resilience resilience = resilience();
        StoreConfig store = store();
        SealingKeys keys = sealingKeys();
        // file: without configured keys, the key file beside the tokens is used (see LocalFiles.sealingKeys)
        if (keys == null && store != null && store.persistent() && store.kind() != StoreConfig.Kind.FILE) {
            add("sealing.keys", "required for store.type=" + store.type() + ": tokens at rest are sealed with "
                    + "AES-256-GCM; generate a key with `tokenkeeper config keygen` and pass it in "
                    + "TOKENKEEPER_SEALING_KEYS or sealing.keys-file");
        }
        SidecarConfig sidecar = sidecar();
        TokenkeeperConfig.CacheConfig cache = cache();
        TokenkeeperConfig.RefreshTiming timing = new TokenkeeperConfig.RefreshTiming(
                duration("refresh.check-interval", TokenkeeperConfig.RefreshTiming.DEFAULTS.checkInterval(), Duration.ofMillis(10),
                        Duration.ofHours(1), "from 10ms to 1h"),
                // the manager's longest back-off (TokenManager.MAX_FAILURE_BACKOFF), spelled out: reading a
                // configuration loads no manager class (the command line's cache hit reads one)
                duration("refresh.retry-interval", TokenkeeperConfig.RefreshTiming.DEFAULTS.retryInterval(), Duration.ofMillis(10),
                        MAX_RETRY_INTERVAL, "from 10ms to " + MAX_RETRY_INTERVAL.toSeconds() + "s"));
        Duration max = Duration.ofMinutes(5);
        TokenkeeperConfig.HttpTimeouts http = new TokenkeeperConfig.HttpTimeouts(
                duration("http.connect-timeout", null, Duration.ofMillis(1), max, "from 1ms to 5m"),
                duration("http.request-timeout", null, Duration.ofMillis(1), max, "from 1ms to 5m"),
                duration("http.read-timeout", null, Duration.ofMillis(1), max, "from 1ms to 5m"),
                duration("http.write-timeout", null, Duration.ofMillis(1), max, "from 1ms to 5m"),
                duration("http.pool-timeout", null, Duration.ofMillis(1), max, "from 1ms to 5m"));
        ProxyConfig proxies = proxies(byClient.keySet(), sidecar);
        Map<String, SinkConfig> sinks = sinks(clients, byClient.keySet());
        throwIfAny();
        return new TokenkeeperConfig(Collections.unmodifiableMap(clients), expiry, proactive, resilience, store, keys, sidecar,
                cache, imports, logins, fallbacks, timing, jwtRules, http, proxies, sinks);
    }

    /** {@code cache.*}: how many keys the near cache keeps, and for how long an unused one stays. */
    private TokenkeeperConfig.CacheConfig cache() {
        TokenkeeperConfig.CacheConfig d = TokenkeeperConfig.CacheConfig.DEFAULT;
        Integer maximum = integer("cache.maximum-keys", 1, Integer.MAX_VALUE);
        Duration idle = duration("cache.idle-timeout", d.idleTimeout(), Duration.ofSeconds(1), TokenkeeperConfig.MAX_DURATION,
                "from 1s to " + TokenkeeperConfig.MAX_DURATION.toDays() + "d");
        return new TokenkeeperConfig.CacheConfig(maximum == null ? d.maximumKeys() : maximum, idle);
    }

    /** A client's JWT rules ({@code jwt-algorithms}, {@code jwt-max-lifetime}), or null when the validator is off. */
    private TokenkeeperConfig.JwtRules jwtRules(String name, Map<String, String> v) {
        String p = "clients." + name + ".";
        String algorithms = v.get("jwt-algorithms");
        Duration maxLifetime = duration(p + "jwt-max-lifetime", TokenkeeperConfig.JwtRules.DEFAULT_MAX_LIFETIME,
                Duration.ofSeconds(1), Duration.ofDays(3650), "from 1s up");
        if (algorithms == null) {
            if (v.containsKey("jwt-max-lifetime")) {
                add(p + "jwt-max-lifetime", "only used with jwt-algorithms (which turns the JWT validator on)");
            }
            return null;
        }
        Set<String> algs = new java.util.TreeSet<>(Arrays.asList(algorithms.trim().split("[\\s,]+")));
        if (algs.stream().anyMatch(a -> a.isEmpty() || a.equalsIgnoreCase("none"))) {
            add(p + "jwt-algorithms", "must list JWS algorithms such as RS256, ES256; never none");
            return null;
        }
        return new TokenkeeperConfig.JwtRules(algs, maxLifetime);
    }

    /** A client's API-key fallback ({@code fallback-api-key*}, {@code fallback-api-key-header}), or null. */
    private TokenkeeperConfig.ApiKeyFallback apiKeyFallback(String name, Map<String, String> v) {
        String p = "clients." + name + ".";
        SecretSource key = secret(p + "fallback-api-key", p + "fallback-api-key-env", p + "fallback-api-key-file", null);
        String header = v.getOrDefault("fallback-api-key-header", TokenkeeperConfig.ApiKeyFallback.DEFAULT_HEADER);
        if (!header.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
            add(p + "fallback-api-key-header", "must be an HTTP header name, was '" + header + "'");
            return null;
        }
        if (key == null) {
            if (v.containsKey("fallback-api-key-header")) {
                add(p + "fallback-api-key-header", "only used with fallback-api-key-env or fallback-api-key-file");
            }
            return null;
        }
        return new TokenkeeperConfig.ApiKeyFallback(header, key);
    }

    /** A client's JSON login ({@code login-url}, {@code login-username}, {@code login-password*}), or null. */
    private TokenkeeperConfig.JsonLogin jsonLogin(String name, Map<String, String> v) {
        String p = "clients." + name + ".";
        if (!v.containsKey("login-url")) {
            for (String k : List.of("login-username", "login-password", "login-password-env", "login-password-file")) {
                if (v.containsKey(k)) {
                    add(p + k, "only used with login-url");
                }
            }
            return null;
        }
        URI url = httpUrl(p + "login-url", true, bool(p + "allow-insecure-http", false));
        String user = v.get("login-username");
        if (user == null || user.isBlank()) {
            add(p + "login-username", "required with login-url");
        }
        SecretSource password = secret(p + "login-password", p + "login-password-env", p + "login-password-file",
                "required with login-url: set login-password-env (the name of an environment variable) or "
                        + "login-password-file (a path)");
        if (url == null || user == null || user.isBlank() || password == null) {
            return null;
        }
        return new TokenkeeperConfig.JsonLogin(url, user, password, v.containsKey("token-url"));
    }

    /** A client's imported token pair ({@code access-token*}, {@code refresh-token*}), or null if none is configured. */
    private TokenImport tokenImport(String name) {
        String p = "clients." + name + ".";
        SecretSource access = secret(p + "access-token", p + "access-token-env", p + "access-token-file", null);
        // with grant=refresh_token, refresh-token-env/-file are that grant's own (see grant()), not an import
        SecretSource refresh = "refresh_token".equals(String.valueOf(settings.get(p + "grant")).strip()) ? null
                : secret(p + "refresh-token", p + "refresh-token-env", p + "refresh-token-file", null);
        String at = settings.get(p + "access-token-expires-at");
        Instant expiresAt = null;
        if (at != null) {
            try {
                expiresAt = Instant.parse(at.strip());
            } catch (java.time.format.DateTimeParseException e) {
                add(p + "access-token-expires-at", "must be an ISO-8601 instant such as 2024-01-15T10:30:00Z");
            }
        }
        if (access == null) {
            if (refresh != null || at != null) {
                add(p + "access-token", "required with refresh-token or access-token-expires-at: set access-token-env "
                        + "(the name of a variable, e.g. TOKENKEEPER_ACCESS_TOKEN) or access-token-file");
            }
            return null;
        }
        TokenImport i = new TokenImport(access, refresh, expiresAt);
        try {
            i.token(Instant.EPOCH); // the expiry must be knowable now, not at the first call
        } catch (ConfigurationException e) {
            add(p + "access-token", e.getMessage().replace("import: ", ""));
            return null;
        }
        return i;
    }

    private TokenkeeperConfig.ClientConfig client(String name, Map<String, String> v) {
        String p = "clients." + name + ".";
        boolean insecure = bool(p + "allow-insecure-http", false);
        URI issuer = httpUrl(p + "issuer", false, insecure);
        boolean login = v.containsKey("login-url"); // issue 12: a JSON login API instead of (or beside) OAuth
        URI tokenUrl = httpUrl(p + "token-url", issuer == null && !login, insecure);
        URI revocationUrl = httpUrl(p + "revocation-url", false, insecure);
        String clientId = v.get("client-id");
        if (login && clientId == null) {
            clientId = v.get("login-username"); // a login API knows users, not clients: the user names the identity
        }
        if (clientId == null || clientId.isBlank()) {
            add(p + "client-id", "required");
        }
        boolean noSecretGiven = first(p + "client-secret", p + "client-secret-env", p + "client-secret-file") == null;
        // a JSON login client without a secret is a public client (issue 12)
        String method = v.getOrDefault("auth-method", login && noSecretGiven ? "none" : "client_secret_basic")
                .toLowerCase(Locale.ROOT);
        ClientAuthentication authentication = ClientAuthentication.CLIENT_SECRET_BASIC;
        try {
            authentication = ClientAuthentication.fromRfcName(method);
        } catch (IllegalArgumentException e) {
            add(p + "auth-method", "must be one of client_secret_basic, client_secret_post, client_secret_jwt, "
                    + "private_key_jwt, tls_client_auth, self_signed_tls_client_auth, none; was '" + v.get("auth-method") + "'");
        }
        SecretSource secret = secret(p + "client-secret", p + "client-secret-env", p + "client-secret-file",
                authentication.usesSecret() ? "required for auth-method " + authentication + ": set client-secret-env (the "
                        + "name of an environment variable) or client-secret-file (a path), or OAUTH_CLIENT_SECRET" : null);
        if (authentication == ClientAuthentication.NONE && secret != null) {
            add(p + "auth-method", "none is a client without a secret, but a client secret is configured too");
        }
        TokenkeeperConfig.ClientAuthSettings auth = clientAuth(p, issuer, authentication);
        List<String> scopes = v.get("scope") == null || v.get("scope").isBlank()
                ? List.of()
                : Arrays.stream(v.get("scope").trim().split("[\\s,]+")).toList();
        String audience = v.get("audience");
        String resource = v.get("resource");
        try {
            TokenKey.builder(name).scopes(scopes).audience(audience).resource(resource).build();
        } catch (IllegalArgumentException e) {
            add(p + "scope", e.getMessage());
        }
        if (login && tokenUrl == null && issuer == null) {
            tokenUrl = httpUrl(p + "login-url", true, insecure); // refresh tokens are then not kept: see JsonLogin
        }
        Grant grant = grant(p, v);
        DpopProofs dpop = dpop(p, v);
        if ((tokenUrl == null && issuer == null) || clientId == null || (secret == null && authentication.usesSecret())
                || auth == null || grant == null) {
            return null;
        }
        return new TokenkeeperConfig.ClientConfig(name, tokenUrl, clientId, secret, method, scopes, audience, resource,
                revocationUrl, insecure, auth, grant, dpop);
    }

    /**
     * The key, certificate and trust settings of {@code auth-method}s beyond the secret; each file is
     * checked now (readable, owner-only for keys, a usable key or certificate) and read again when it
     * changes. Null (and problems) if something required is missing or unusable.
     */
    private TokenkeeperConfig.ClientAuthSettings clientAuth(String p, URI issuer, ClientAuthentication method) {
        int before = problems.size();
        ClientAssertionKey key = null;
        String keyFile = settings.get(p + "assertion-key-file");
        if (method == ClientAuthentication.PRIVATE_KEY_JWT && keyFile == null) {
            add(p + "assertion-key-file", "required for auth-method private_key_jwt: a PEM (PKCS#8), JWK or PKCS#12 file "
                    + "with the client's private key, readable by its owner only");
        }
        if (keyFile != null && method != ClientAuthentication.PRIVATE_KEY_JWT) {
            add(p + "assertion-key-file", "is used only with auth-method private_key_jwt, not " + method);
        } else if (keyFile != null) {
            Path path = Path.of(keyFile);
            String kid = settings.get(p + "assertion-key-id");
            try {
                String kind = keyFileKind(path);
                key = switch (kind) {
                    case "jwk" -> ClientAssertionKey.jwk(path, kid);
                    case "pem" -> ClientAssertionKey.pem(path, kid);
                    default -> ClientAssertionKey.pkcs12(path, secret(null, p + "assertion-key-password-env",
                            p + "assertion-key-password-file", null), settings.get(p + "assertion-key-alias"), kid);
                };
            } catch (ConfigurationException e) {
                e.problems().forEach(m -> add(p + "assertion-key-file", m));
            }
        }
        String algorithm = settings.get(p + "assertion-algorithm");
        String audience = settings.get(p + "assertion-audience");
        if (audience != null && audience.isBlank()) {
            add(p + "assertion-audience", "must be token-endpoint, issuer, or the value the IdP expects");
        }
        Duration lifetime = duration(p + "assertion-lifetime", Duration.ofSeconds(60), Duration.ofSeconds(1),
                Duration.ofHours(1), "between 1s and 1h");
        ClientCertificate certificate = null;
        String certFile = settings.get(p + "tls-cert-file");
        String certKeyFile = settings.get(p + "tls-key-file");
        String keystore = settings.get(p + "tls-keystore-file");
        if (method.usesCertificate() && keystore == null && (certFile == null || certKeyFile == null)) {
            add(p + "tls-cert-file", "required for auth-method " + method + ": tls-cert-file and tls-key-file (PEM), "
                    + "or tls-keystore-file (PKCS#12)");
        }
        if ((certFile != null || certKeyFile != null || keystore != null) && !method.usesCertificate()) {
            add(p + "tls-cert-file", "a TLS client certificate is used only with auth-method tls_client_auth or "
                    + "self_signed_tls_client_auth, not " + method);
        } else if (keystore != null && (certFile != null || certKeyFile != null)) {
            add(p + "tls-keystore-file", "give either tls-keystore-file or tls-cert-file and tls-key-file, not both");
        } else {
            try {
                if (keystore != null) {
                    certificate = ClientCertificate.pkcs12(Path.of(keystore), secret(null, p + "tls-keystore-password-env",
                            p + "tls-keystore-password-file", null));
                } else if (certFile != null && certKeyFile != null) {
                    certificate = ClientCertificate.pem(Path.of(certFile), Path.of(certKeyFile));
                }
            } catch (ConfigurationException e) {
                e.problems().forEach(m -> add(p + (keystore != null ? "tls-keystore-file" : "tls-cert-file"), m));
            }
        }
        Path trust = null;
        String trustFile = settings.get(p + "trust-file");
        if (trustFile != null) {
            trust = Path.of(trustFile);
            if (!Files.isReadable(trust)) {
                add(p + "trust-file", "cannot read the file " + shownPath(trustFile));
            }
        }
        if (problems.size() > before) {
            return null;
        }
        return new TokenkeeperConfig.ClientAuthSettings(issuer, key, algorithm, audience, lifetime, certificate, trust);
    }

    /** {@code jwk}, {@code pem} or {@code pkcs12}, by the file's first byte; a missing file is reported by the loader. */
    private static String keyFileKind(Path file) {
        try (var in = Files.newInputStream(file)) {
            int c;
            do {
                c = in.read();
            } while (c == ' ' || c == '\n' || c == '\r' || c == '\t');
            return c == '{' ? "jwk" : c == '-' ? "pem" : "pkcs12";
        } catch (IOException e) {
            return "pem";
        }
    }

    /** The grant names {@code clients.<name>.grant} takes, with the RFC names they stand for. */
    private static final Map<String, String> GRANTS = Map.of(
            "client_credentials", "client_credentials",
            "token_exchange", Grant.TokenExchange.GRANT_TYPE,
            Grant.TokenExchange.GRANT_TYPE, Grant.TokenExchange.GRANT_TYPE,
            "jwt_bearer", Grant.JwtBearer.GRANT_TYPE,
            Grant.JwtBearer.GRANT_TYPE, Grant.JwtBearer.GRANT_TYPE,
            "password", "password",
            "refresh_token", "refresh_token");

    /** The settings only one grant reads, so that a setting given for another grant is reported, not ignored. */
    private static final Map<String, List<String>> GRANT_SETTINGS = Map.of(
            Grant.TokenExchange.GRANT_TYPE, List.of("subject-token-env", "subject-token-file", "subject-token-type",
                    "actor-token-env", "actor-token-file", "actor-token-type", "requested-token-type"),
            Grant.JwtBearer.GRANT_TYPE, List.of("grant-assertion-env", "grant-assertion-file"),
            "password", List.of("username", "password-env", "password-file"),
            "refresh_token", List.of("refresh-token-env", "refresh-token-file"));

    /**
     * The client's primary grant ({@code grant}, default client_credentials) and its credentials:
     * a token or assertion from a file is read again whenever the file changes (a Kubernetes
     * projected token rotates), one from a variable once. Null (and problems) if incomplete.
     */
    private Grant grant(String p, Map<String, String> v) {
        String given = v.getOrDefault("grant", "client_credentials").strip();
        String type = GRANTS.get(given.toLowerCase(Locale.ROOT));
        if (type == null) {
            add(p + "grant", "must be one of client_credentials, token_exchange, jwt_bearer, password, refresh_token, was '"
                    + given + "'");
            return null;
        }
        // an imported token pair (access-token* with refresh-token*) uses the refresh-token keys too
        boolean importing = v.containsKey("access-token") || v.containsKey("access-token-env") || v.containsKey("access-token-file");
        GRANT_SETTINGS.forEach((grantType, keys) -> {
            if (!grantType.equals(type)) {
                keys.stream().filter(v::containsKey).filter(k -> !(importing && k.startsWith("refresh-token")))
                        .forEach(k -> add(p + k, "applies only to grant=" + shortGrantName(grantType) + ", not " + given));
            }
        });
        try {
            return switch (type) {
                case "client_credentials" -> Grant.ClientCredentials.INSTANCE;
                case "password" -> {
                    String username = v.get("username");
                    if (username == null || username.isBlank()) {
                        add(p + "username", "required with grant=password");
                    }
                    SecretSource password = secret(null, p + "password-env", p + "password-file",
                            "required with grant=password: set password-env (the name of a variable) or password-file");
                    yield username == null || username.isBlank() || password == null ? null
                            : new SourcedPassword(username.strip(), password);
                }
                case "refresh_token" -> {
                    SecretSource refresh = secret(null, p + "refresh-token-env", p + "refresh-token-file",
                            "required with grant=refresh_token: set refresh-token-env or refresh-token-file (the refresh "
                                    + "token obtained elsewhere; the rotated ones are kept by tokenkeeper)");
                    yield refresh == null ? null : new Grant.RefreshToken(refresh.current());
                }
                case Grant.JwtBearer.GRANT_TYPE -> {
                    SecretSource assertion = secret(null, p + "grant-assertion-env", p + "grant-assertion-file",
                            "required with grant=jwt_bearer: set grant-assertion-file (a JWT, read again when it changes) or "
                                    + "grant-assertion-env");
                    yield assertion == null ? null : new Grant.JwtBearer(assertion::current);
                }
                default -> tokenExchange(p, v);
            };
        } catch (IllegalArgumentException e) {
            add(p + "grant", e.getMessage());
            return null;
        }
    }

    /**
     * The password grant with the password asked of its source on every request, so that a
     * password file rewritten after a rotation is sent as it is now (a {@link Grant.Password} holds
     * a fixed one). Shows no secret.
     */
    private record SourcedPassword(String username, SecretSource password) implements Grant {
        @Override
        public String grantType() {
            return "password";
        }

        @Override
        public void writeParameters(java.util.function.BiConsumer<String, String> form) {
            new Grant.Password(username, password.current()).writeParameters(form);
        }

        @Override
        public String toString() {
            return "Password[username=" + username + ", password=" + password + "]";
        }
    }

    private static String shortGrantName(String grantType) {
        return grantType.equals(Grant.TokenExchange.GRANT_TYPE) ? "token_exchange"
                : grantType.equals(Grant.JwtBearer.GRANT_TYPE) ? "jwt_bearer" : grantType;
    }

    private Grant tokenExchange(String p, Map<String, String> v) {
        SecretSource subject = secret(null, p + "subject-token-env", p + "subject-token-file",
                "required with grant=token_exchange: set subject-token-file (read again when it changes, e.g. a "
                        + "Kubernetes projected service-account token) or subject-token-env");
        SecretSource actor = secret(null, p + "actor-token-env", p + "actor-token-file", null);
        String subjectType = v.getOrDefault("subject-token-type", Grant.TokenExchange.ACCESS_TOKEN).strip();
        String actorType = actor == null ? null : v.getOrDefault("actor-token-type", Grant.TokenExchange.ACCESS_TOKEN).strip();
        if (actor == null && v.containsKey("actor-token-type")) {
            add(p + "actor-token-type", "needs actor-token-env or actor-token-file");
        }
        String requested = v.get("requested-token-type") == null ? null : v.get("requested-token-type").strip();
        if (subject == null) {
            return null;
        }
        return new Grant.TokenExchange(subject::current, tokenTypeUri(p + "subject-token-type", subjectType),
                actor == null ? null : actor::current, actorType == null ? null : tokenTypeUri(p + "actor-token-type", actorType),
                requested == null ? null : tokenTypeUri(p + "requested-token-type", requested));
    }

    /** A token type URI, or its RFC 8693 short name ({@code jwt}, {@code access_token}, {@code id_token}, …). */
    private static String tokenTypeUri(String key, String value) {
        if (value.matches("[a-z_0-9]+")) {
            return "urn:ietf:params:oauth:token-type:" + value;
        }
        return value;
    }

    /**
     * The client's DPoP key, or null: {@code dpop-key-file} (a private JWK or PEM; every instance
     * that shares a store should load the same one), else a key generated now if {@code dpop=true}
     * (then this instance's tokens are its own: the key's thumbprint names them in the store).
     */
    private DpopProofs dpop(String p, Map<String, String> v) {
        boolean on = bool(p + "dpop", v.containsKey("dpop-key-file"));
        String file = v.get("dpop-key-file");
        if (file != null && !on) {
            add(p + "dpop", "is false but dpop-key-file is set: remove one of them");
            return null;
        }
        if (!on) {
            return null;
        }
        if (file == null) {
            return DpopProofs.generate();
        }
        try {
            DpopProofs proofs = DpopProofs.load(Path.of(file));
            warnIfOthersCanRead(p + "dpop-key-file", Path.of(file), shownPath(file));
            return proofs;
        } catch (ConfigurationException e) {
            e.problems().forEach(m -> add(p + "dpop-key-file", m));
            return null;
        } catch (RuntimeException e) {
            add(p + "dpop-key-file", "the value of " + p + "dpop-key-file is not a valid path");
            return null;
        }
    }

    private ExpiryPolicy expiryPolicy() {
        ExpiryPolicy.Builder expiry = ExpiryPolicy.builder();
        Duration ahead = duration("refresh.ahead");
        if (ahead != null) {
            apply("refresh.ahead", () -> expiry.refreshAhead(ahead));
        }
        Double fraction = number("refresh.ahead-fraction");
        if (fraction != null) {
            apply("refresh.ahead-fraction", () -> expiry.refreshAheadFraction(fraction));
        }
        Duration skew = duration("refresh.clock-skew");
        if (skew != null) {
            apply("refresh.clock-skew", () -> expiry.clockSkew(skew));
        }
        Double jitter = number("refresh.jitter");
        if (jitter != null) {
            apply("refresh.jitter", () -> expiry.jitter(jitter));
        }
        return expiry.build();
    }

    private Resilience resilience() {
        Resilience r = Resilience.defaults();
        Integer attempts = integer("resilience.attempts", 1, TokenkeeperConfig.MAX_ATTEMPTS);
        Duration attemptTimeout = duration("resilience.attempt-timeout");
        Duration deadline = duration("resilience.deadline");
        Integer failures = integer("breaker.failures", 1, Integer.MAX_VALUE);
        Duration openDelay = duration("breaker.open-delay");
        RetryStrategy configured = retryStrategy(attempts);
        try {
            if (configured != null) {
                r = r.withRetry(configured);
            } else if (attempts != null) {
                r = r.withRetry(attempts == 1
                        ? RetryStrategy.none()
                        : RetryStrategy.exponentialWithJitter(Duration.ofMillis(250), Duration.ofSeconds(5), attempts));
            }
            if (attemptTimeout != null || deadline != null) {
                r = r.withTimeouts(
                        attemptTimeout != null ? attemptTimeout : r.attemptTimeout(), deadline != null ? deadline : r.deadline());
            }
            if (failures != null || openDelay != null) {
                r = r.withBreaker(failures != null ? failures : r.breakerFailureThreshold(),
                        openDelay != null ? openDelay : r.breakerOpenDelay(), r.breakerSuccessThreshold());
            }
        } catch (ConfigurationException e) {
            e.problems().forEach(m -> add("resilience", m));
        } catch (IllegalArgumentException e) {
            add("resilience", e.getMessage());
        }
        return r;
    }

    /** The retry pauses when none of {@code resilience.retry*} is set: Resilience.DEFAULT_RETRY's. */
    static final Duration DEFAULT_RETRY_BASE_DELAY = Duration.ofMillis(250);
    static final Duration DEFAULT_RETRY_MAX_DELAY = Duration.ofSeconds(5);
    static final double DEFAULT_RETRY_FACTOR = 2.0;
    static final int DEFAULT_RETRY_ATTEMPTS = 4;

    /**
     * The retry strategy from {@code resilience.retry} (none, simple, fixed, linear, exponential)
     * and its pauses, or null when none of those settings is given (the default strategy, or the
     * one {@code resilience.attempts} alone chooses, applies). Pauses: simple none; fixed the base
     * delay every time; linear base, 2×base, 3×base, ...; exponential base × factor^(n-1); each at
     * most the max delay, then spread by the jitter (full, equal or none; exponential only).
     */
    private RetryStrategy retryStrategy(Integer attempts) {
        List<String> keys = List.of("resilience.retry", "resilience.retry-base-delay", "resilience.retry-max-delay",
                "resilience.retry-factor", "resilience.retry-jitter", "resilience.retry-after-max");
        if (keys.stream().allMatch(k -> settings.get(k) == null)) {
            return null;
        }
        String kind = settings.get("resilience.retry") == null ? "exponential"
                : settings.get("resilience.retry").strip().toLowerCase(Locale.ROOT);
        int n = attempts != null ? attempts : DEFAULT_RETRY_ATTEMPTS;
        Duration base = duration("resilience.retry-base-delay", DEFAULT_RETRY_BASE_DELAY, Duration.ZERO,
                Duration.ofMinutes(10), "from 0 to 10m");
        Duration max = duration("resilience.retry-max-delay", DEFAULT_RETRY_MAX_DELAY, Duration.ZERO,
                Duration.ofMinutes(10), "from 0 to 10m");
        Double factor = number("resilience.retry-factor");
        String jitterText = settings.get("resilience.retry-jitter");
        RetryStrategy.Jitter jitter = RetryStrategy.Jitter.FULL;
        if (jitterText != null) {
            try {
                jitter = RetryStrategy.Jitter.valueOf(jitterText.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                add("resilience.retry-jitter", "must be full, equal or none, was '" + jitterText + "'");
            }
        }
        Duration retryAfterMax = duration("resilience.retry-after-max", RetryStrategy.DEFAULT_MAX_RETRY_AFTER,
                Duration.ZERO, Duration.ofMinutes(10), "from 0 to 10m");
        if (!kind.equals("exponential") && (factor != null || jitterText != null)) {
            add(factor != null ? "resilience.retry-factor" : "resilience.retry-jitter",
                    "only used by resilience.retry=exponential, which is not the strategy chosen ('" + kind + "')");
        }
        try {
            RetryStrategy strategy = switch (kind) {
                case "none" -> RetryStrategy.none();
                case "simple" -> RetryStrategy.fixed(Duration.ZERO, n);
                case "fixed" -> RetryStrategy.fixed(min(base, max), n);
                case "linear" -> RetryStrategy.linear(base, base, max, n);
                case "exponential" -> RetryStrategy.exponential(base, max,
                        factor != null ? factor : DEFAULT_RETRY_FACTOR, jitter, n);
                default -> {
                    add("resilience.retry", "must be none, simple, fixed, linear or exponential, was '"
                            + settings.get("resilience.retry") + "'");
                    yield null;
                }
            };
            return strategy == null ? null : strategy.withMaxRetryAfter(retryAfterMax);
        } catch (IllegalArgumentException e) {
            add("resilience.retry", e.getMessage());
            return null;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** The store section alone: what {@code store.*} configures. */
    StoreConfig store() {
        String given = settings.get("store.type");
        StoreConfig.Kind kind = StoreConfig.Kind.MEMORY;
        if (given != null) {
            try {
                kind = StoreConfig.Kind.valueOf(given.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                add("store.type", "unknown store '" + given + "' (use one of " + StoreConfig.Kind.names() + ")");
                return null;
            }
        }
        String prefix = settings.get("store.prefix");
        String url = settings.get("store.url");
        if (kind != StoreConfig.Kind.FILE && settings.get("store.path") != null) {
            add("store.path", "only used by store.type=file");
        }
        Secret password = storePassword(kind);
        switch (kind) {
            case MEMORY -> {
                return new StoreConfig(kind, url, prefix, null, null);
            }
            case FILE -> {
                if (url != null) {
                    add("store.url", "not used by store.type=file; set store.path (a directory) or TOKENKEEPER_HOME");
                }
                return new StoreConfig(kind, LocalFiles.directory(settings.get("store.path"), settings.environment()).toString(),
                        prefix, null, null);
            }
            default -> {
                boolean redis = kind == StoreConfig.Kind.REDIS;
                if (url == null) {
                    url = settings.environment().get(redis ? "REDIS_URL" : "JDBC_URL");
                }
                if (url == null) {
                    add("store.url", "required for store.type=" + kind.type() + " (a redis:// URI or a jdbc: URL; or REDIS_URL / JDBC_URL)");
                    return null;
                }
                boolean sentinel = url.startsWith("redis-sentinel://"); // issue 12: Redis Sentinel
                if (redis && !(url.startsWith("redis://") || url.startsWith("rediss://") || sentinel)) {
                    add("store.url", "must be a redis://, rediss:// or redis-sentinel://host:port[,host:port…]/master URI "
                            + "for store.type=redis");
                    return null;
                }
                if (!redis && !url.startsWith("jdbc:")) {
                    add("store.url", "must be a jdbc: URL for store.type=jdbc");
                    return null;
                }
                try {
                    StoreUrl split = StoreUrl.split(url).withPassword(password);
                    if (redis && !sentinel && new URI(split.location()).getHost() == null) { // the location holds no password: its errors may be shown
                        add("store.url", "the Redis URI " + split + " has no host (percent-encode special characters)");
                    }
                    return new StoreConfig(kind, split.location(), prefix, split.user(), split.password());
                } catch (URISyntaxException e) {
                    add("store.url", "is not a valid Redis URI: " + e.getReason() + " (percent-encode special characters)");
                } catch (ConfigurationException e) {
                    e.problems().forEach(m -> add("store.url", m));
                }
                return null;
            }
        }
    }

    /** The store password from store.password, store.password-env or store.password-file, or null. */
    private Secret storePassword(StoreConfig.Kind kind) {
        String key = first("store.password", "store.password-env", "store.password-file");
        if (key != null && kind != StoreConfig.Kind.REDIS && kind != StoreConfig.Kind.JDBC) {
            add(key, "only used by store.type=redis or jdbc");
            return null;
        }
        SecretSource s = secret("store.password", "store.password-env", "store.password-file", null);
        return s == null ? null : s.current();
    }

    private SealingKeys sealingKeys() {
        SecretSource spec = secret("sealing.keys", "sealing.keys-env", "sealing.keys-file", null);
        if (spec == null) {
            return null;
        }
        try {
            return SealingKeys.parse(spec.current().reveal());
        } catch (ConfigurationException e) {
            e.problems().forEach(m -> add("sealing.keys", m));
            return null;
        }
    }

    /**
     * Issue 13: the token sinks, {@code sinks.<name>.<key>} ({@link SinkConfig}), by name in name
     * order. {@code clients} are the clients read without a problem, {@code configured} every name
     * configured (a sink naming a client that has problems of its own gets no second one).
     */
    private Map<String, SinkConfig> sinks(Map<String, TokenkeeperConfig.ClientConfig> clients, Set<String> configured) {
        Map<String, Map<String, String>> bySink = new java.util.TreeMap<>();
        for (Map.Entry<String, String> e : settings.all().entrySet()) {
            if (!e.getKey().startsWith("sinks.")) {
                continue;
            }
            Matcher m = SINK_KEY.matcher(e.getKey());
            if (!m.matches()) {
                add(e.getKey(), "a sink setting is sinks.<name>.<key>, the name of letters, digits, '-' and '_' (keys: "
                        + new TreeSet<>(SINK_SETTINGS) + ")");
            } else if (!SINK_SETTINGS.contains(m.group(2))) {
                add(e.getKey(), "unknown sink setting (known: " + new TreeSet<>(SINK_SETTINGS) + ")");
            } else {
                bySink.computeIfAbsent(m.group(1), k -> new LinkedHashMap<>()).put(m.group(2), e.getValue());
            }
        }
        Map<String, SinkConfig> sinks = new LinkedHashMap<>();
        Map<Path, String> paths = new java.util.HashMap<>();
        bySink.forEach((name, v) -> {
            SinkConfig sink = sink(name, v, clients, configured);
            if (sink != null) {
                String other = paths.putIfAbsent(sink.path(), name);
                if (other != null) {
                    add("sinks." + name + ".path", "sink " + other + " writes " + sink.path() + " already: give each sink a file of its own");
                } else {
                    sinks.put(name, sink);
                }
            }
        });
        return sinks;
    }

    private SinkConfig sink(String name, Map<String, String> v, Map<String, TokenkeeperConfig.ClientConfig> clients,
            Set<String> configured) {
        String p = "sinks." + name + ".";
        int before = problems.size();
        String client = v.get("client");
        if (client == null) {
            add(p + "client", "required: the name of a configured client (configured: " + new TreeSet<>(configured) + ")");
        } else if (!configured.contains(client)) {
            add(p + "client", "no client named '" + client + "' is configured (configured: " + new TreeSet<>(configured) + ")");
        } else if (clients.containsKey(client) && clients.get(client).dpop() != null) {
            add(p + "client", "the client '" + client + "' is DPoP-bound (clients." + client + ".dpop): its token is useless "
                    + "without a proof signed by the client's key for each request, so it is never written to a file; "
                    + "use a client without DPoP for this sink, or let the application use the library");
        }
        Path path = sinkPath(p + "path", v.get("path"));
        SinkConfig.Format format = SinkConfig.Format.RAW;
        String f = v.get("format");
        if (f != null) {
            try {
                format = SinkConfig.Format.valueOf(f.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                add(p + "format", "must be raw, json or env, was '" + f + "'");
            }
        }
        String envName = v.getOrDefault("env-name", SinkConfig.DEFAULT_ENV_NAME);
        if (v.containsKey("env-name") && format != SinkConfig.Format.ENV) {
            add(p + "env-name", "only used with format=env");
        } else if (!envName.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            add(p + "env-name", "must be an environment variable name (letters, digits, '_', not starting with a digit), was '"
                    + envName + "'");
        }
        Set<PosixFilePermission> mode = SinkConfig.DEFAULT_MODE;
        String m = v.get("mode");
        if (m != null) {
            mode = sinkMode(p + "mode", m.strip());
        }
        String group = v.get("group");
        if (group != null) {
            group = group.strip();
            try {
                java.nio.file.FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
            } catch (IOException | UnsupportedOperationException e) {
                add(p + "group", "no group named '" + group + "' on this host (" + e.getClass().getSimpleName() + ")");
            }
        }
        SinkConfig.OnShutdown onShutdown = SinkConfig.OnShutdown.DELETE;
        String o = v.get("on-shutdown");
        if (o != null) {
            try {
                onShutdown = SinkConfig.OnShutdown.valueOf(o.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                add(p + "on-shutdown", "must be delete or keep, was '" + o + "'");
            }
        }
        if (problems.size() > before || path == null || mode == null) {
            return null;
        }
        return new SinkConfig(name, client, path, format, envName, mode, group, onShutdown);
    }

    /** A sink's file: absolute, in an existing directory, not a directory nor a symbolic link itself. */
    private Path sinkPath(String key, String value) {
        if (value == null) {
            add(key, "required: the absolute path of the file to keep the token in");
            return null;
        }
        Path path;
        try {
            path = Path.of(value.strip());
        } catch (RuntimeException e) {
            add(key, "is not a valid path");
            return null;
        }
        if (!path.isAbsolute() || path.getFileName() == null) {
            add(key, "must be an absolute path to a file, was '" + value + "'");
            return null;
        }
        path = path.normalize();
        if (Files.isSymbolicLink(path)) {
            add(key, path + " is a symbolic link: a sink replaces its file and never writes through a link; name the real file");
            return null;
        }
        if (Files.isDirectory(path)) {
            add(key, path + " is a directory: name a file in it");
            return null;
        }
        if (!Files.isDirectory(path.getParent())) {
            add(key, "the directory " + path.getParent() + " does not exist: create it (the token file is written there "
                    + "beside a temporary file and renamed into place)");
            return null;
        }
        return path;
    }

    /**
     * A sink's mode: octal ({@code 600}, {@code 0640}); the owner reads, and neither group nor others
     * may write or execute (only tokenkeeper writes a sink, and it is not a program).
     */
    private Set<PosixFilePermission> sinkMode(String key, String value) {
        if (!value.matches("0?[0-7]{3}")) {
            add(key, "must be an octal mode such as 0600 or 0640, was '" + value + "'");
            return null;
        }
        int bits = Integer.parseInt(value, 8);
        if ((bits & 0400) == 0 || (bits & 0133) != 0) {
            add(key, "must let the owner read and give no write or execute permission to group or others, and no execute to "
                    + "the owner (e.g. 0600, 0640, 0644), was '" + value + "'");
            return null;
        }
        Set<PosixFilePermission> perms = java.util.EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE};
        for (int i = 0; i < 9; i++) {
            if ((bits & (0400 >> i)) != 0) {
                perms.add(order[i]);
            }
        }
        return perms;
    }

    /** The sidecar section alone: what {@code sidecar.*} configures. */
    SidecarConfig sidecar() {
        String host = settings.get("sidecar.host") == null ? SidecarConfig.DEFAULT_HOST : settings.get("sidecar.host");
        boolean allowRemote = bool("sidecar.allow-remote-bind", false);
        if (host.isBlank()) {
            add("sidecar.host", "must not be blank");
        } else if (!allowRemote && !isLoopback(host)) {
            add("sidecar.host", "'" + host + "' is not a loopback address: the sidecar would "
                    + "answer other hosts; bind 127.0.0.1, or set sidecar.allow-remote-bind=true");
        }
        Integer port = integer("sidecar.port", 0, 65535, "must be 0..65535");
        boolean enabled = bool("sidecar.token-endpoint.enabled", false);
        Secret secret = null;
        if (enabled) {
            SecretSource s = secret(null, "sidecar.token-endpoint.secret-env", "sidecar.token-endpoint.secret-file",
                    "required when sidecar.token-endpoint.enabled=true: the name of an environment variable holding "
                            + "the bearer secret callers must present (or sidecar.token-endpoint.secret-file)");
            secret = s == null ? null : s.current();
            if (secret != null && secret.reveal().length() < SidecarConfig.MIN_SECRET_LENGTH) {
                add(first("sidecar.token-endpoint.secret-env", "sidecar.token-endpoint.secret-file"), "the secret must have at least "
                        + SidecarConfig.MIN_SECRET_LENGTH + " characters, had " + secret.reveal().length());
                secret = null;
            }
        }
        Duration grace = duration("sidecar.shutdown-grace", SidecarConfig.DEFAULT_SHUTDOWN_GRACE, Duration.ZERO,
                SidecarConfig.MAX_TIMEOUT, "between 0 and 1h, such as 10s");
        boolean keepWarm = bool("sidecar.keep-warm", true);
        Set<String> allowedHosts = allowedHosts();
        Duration idle = duration("sidecar.idle-timeout", SidecarConfig.DEFAULT_IDLE_TIMEOUT, Duration.ofMillis(1),
                SidecarConfig.MAX_TIMEOUT, "above 0 and at most 1h, such as 10s or 500ms");
        Duration header = duration("sidecar.header-timeout", SidecarConfig.DEFAULT_HEADER_TIMEOUT, Duration.ofMillis(1),
                SidecarConfig.MAX_TIMEOUT, "above 0 and at most 1h, such as 10s or 500ms");
        if (enabled && secret == null) {
            return null;
        }
        return new SidecarConfig(host, port == null ? SidecarConfig.DEFAULT_PORT : port, allowRemote, enabled, secret,
                grace, keepWarm, allowedHosts, idle, header);
    }

    private static final Pattern PROXY_KEY = Pattern.compile("proxy\\.([A-Za-z0-9_-]+)\\.(.+)");

    /**
     * The injecting proxy's routes ({@code proxy.<route>.*}): each needs a port, an upstream URL and
     * a configured client; ports may not collide with each other or with the sidecar's.
     */
    ProxyConfig proxies(Set<String> clients, SidecarConfig sidecar) {
        Map<String, Set<String>> byRoute = new LinkedHashMap<>();
        for (String key : settings.all().keySet()) {
            if (!key.startsWith("proxy.")) {
                continue;
            }
            Matcher m = PROXY_KEY.matcher(key);
            if (!m.matches() || !ProxyConfig.ROUTE_SETTINGS.contains(m.group(2))) {
                add(key, "unknown proxy setting (known: proxy.<route>." + new TreeSet<>(ProxyConfig.ROUTE_SETTINGS)
                        + ", the route a name of letters, digits, - and _)");
                continue;
            }
            byRoute.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
        }
        Map<String, ProxyConfig.Route> routes = new LinkedHashMap<>();
        Map<Integer, String> ports = new LinkedHashMap<>();
        if (sidecar != null && sidecar.port() != 0) {
            ports.put(sidecar.port(), "sidecar.port");
        }
        byRoute.forEach((name, given) -> {
            String p = "proxy." + name + ".";
            Integer listen = integer(p + "listen", 0, 65535, "must be a port 0..65535 (0: any free port)");
            if (!given.contains("listen")) {
                add(p + "listen", "required: the local port this route listens on");
            } else if (listen != null && listen != 0) {
                String taken = ports.putIfAbsent(listen, p + "listen");
                if (taken != null) {
                    add(p + "listen", "port " + listen + " is also " + taken);
                    listen = null;
                }
            }
            URI upstream = httpUrl(p + "upstream", true, bool(p + "allow-insecure-http", false));
            if (upstream != null && (upstream.getRawQuery() != null || upstream.getRawFragment() != null)) {
                add(p + "upstream", "must be a base URL without query or fragment (the request's path and query are appended)");
                upstream = null;
            }
            String client = settings.get(p + "client");
            if (client == null) {
                add(p + "client", "required: the configured client whose token is added (one of " + new TreeSet<>(clients) + ")");
            } else if (!clients.contains(client)) {
                add(p + "client", "'" + client + "' is not a configured client (configured: " + new TreeSet<>(clients) + ")");
                client = null;
            }
            java.nio.file.Path trust = null;
            String trustFile = settings.get(p + "trust-file");
            if (trustFile != null) {
                trust = java.nio.file.Path.of(trustFile);
                if (!Files.isReadable(trust)) {
                    add(p + "trust-file", "cannot read the file " + shownPath(trustFile));
                    trust = null;
                } else if (upstream != null && !"https".equalsIgnoreCase(upstream.getScheme())) {
                    add(p + "trust-file", "is used only with an https upstream");
                }
            }
            Duration connect = duration(p + "connect-timeout", ProxyConfig.DEFAULT_CONNECT_TIMEOUT, Duration.ofMillis(1),
                    Duration.ofMinutes(5), "from 1ms to 5m");
            Duration timeout = duration(p + "timeout", ProxyConfig.DEFAULT_TIMEOUT, Duration.ofMillis(1),
                    SidecarConfig.MAX_TIMEOUT, "from 1ms to 1h");
            Integer buffer = byteSize(p + "replay-buffer", ProxyConfig.DEFAULT_REPLAY_BUFFER, ProxyConfig.MAX_REPLAY_BUFFER);
            if (listen != null && upstream != null && client != null && buffer != null) {
                routes.put(name, new ProxyConfig.Route(name, listen, upstream, client, trust, connect, timeout, buffer));
            }
        });
        return new ProxyConfig(routes);
    }

    /** A size in bytes ({@code 65536}, {@code 64KiB}, {@code 64k}, {@code 1MiB}, {@code 1m}) in [0, max], or null (and a problem). */
    private Integer byteSize(String key, int fallback, int max) {
        String v = settings.get(key);
        if (v == null) {
            return fallback;
        }
        Matcher m = Pattern.compile("(\\d{1,10})\\s*(b|k|kb|kib|m|mb|mib)?").matcher(v.strip().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "b" : m.group(2);
            long bytes = unit.startsWith("k") ? n * 1024 : unit.startsWith("m") ? n * 1024 * 1024 : n;
            if (bytes <= max) {
                return (int) bytes;
            }
        }
        add(key, "must be a size from 0 to " + (max / (1024 * 1024)) + "MiB, such as 65536, 64KiB or 1MiB, was '" + v + "'");
        return null;
    }

    private Set<String> allowedHosts() {
        String v = settings.get("sidecar.allowed-hosts");
        Set<String> hosts = new TreeSet<>();
        if (v == null) {
            return hosts;
        }
        for (String part : v.split(",")) {
            String h = part.strip();
            if (h.isEmpty()) {
                continue;
            }
            if (h.equals(SidecarConfig.ANY_HOST)) {
                hosts.add(SidecarConfig.ANY_HOST);
                continue;
            }
            // a port is ignored: the name is what DNS rebinding forges; "[::1]:80" and "host:80" lose it
            if (h.startsWith("[") && h.contains("]")) {
                h = h.substring(0, h.indexOf(']') + 1);
            } else if (h.indexOf(':') == h.lastIndexOf(':') && h.contains(":")) {
                h = h.substring(0, h.indexOf(':'));
            }
            h = SidecarConfig.normalizeHost(h);
            if (h.isEmpty() || !h.matches("[a-z0-9._:-]+")) {
                add("sidecar.allowed-hosts", "'" + part.strip() + "' is not a host name or address "
                        + "(a comma-separated list of names, or * for any)");
                continue;
            }
            hosts.add(h);
        }
        return hosts;
    }

    // ------------------------------------------------------------------------------------------
    // The values: one rule each

    void add(String key, String message) {
        String origin = settings.get(key) != null ? " (from " + settings.origin(key) + ")" : "";
        problems.add(key + ": " + message + origin);
    }

    void throwIfAny() {
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }
    }

    private void apply(String key, Runnable r) {
        try {
            r.run();
        } catch (IllegalArgumentException e) {
            add(key, e.getMessage());
        }
    }

    /** The first of {@code keys} that is set, or null. */
    private String first(String... keys) {
        for (String k : keys) {
            if (k != null && settings.get(k) != null) {
                return k;
            }
        }
        return null;
    }

    private boolean bool(String key, boolean fallback) {
        String v = settings.get(key);
        if (v == null) {
            return fallback;
        }
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        add(key, "must be true or false, was '" + v + "'");
        return fallback;
    }

    private Double number(String key) {
        String v = settings.get(key);
        if (v == null) {
            return null;
        }
        try {
            double d = Double.parseDouble(v);
            if (Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        add(key, "must be a number, was '" + v + "'");
        return null;
    }

    /** A whole number in [min, max], or null (and a problem naming the key and the range). */
    private Integer integer(String key, int min, int max) {
        return integer(key, min, max, "must be a whole number from " + min + (max == Integer.MAX_VALUE ? " up" : " to " + max));
    }

    /** A whole number in [min, max], or null (and the problem {@code message}, with the value given). */
    private Integer integer(String key, int min, int max, String message) {
        String v = settings.get(key);
        if (v == null) {
            return null;
        }
        try {
            long n = Long.parseLong(v.strip());
            if (n >= min && n <= max) {
                return (int) n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        add(key, message + ", was '" + v + "'");
        return null;
    }

    /** A non-negative duration of at most {@link TokenkeeperConfig#MAX_DURATION}, or null. */
    private Duration duration(String key) {
        String v = settings.get(key);
        if (v == null) {
            return null;
        }
        try {
            Duration d = parseDuration(v);
            if (d.isNegative()) {
                add(key, "must not be negative, was '" + v + "'");
                return null;
            }
            return d;
        } catch (IllegalArgumentException e) {
            add(key, OUT_OF_RANGE.equals(e.getMessage())
                    ? "is out of range, was '" + v + "' (at most " + TokenkeeperConfig.MAX_DURATION.toDays() + "d)"
                    : "must be a duration such as 500ms, 30s, 5m, 1h or PT1M, was '" + v + "'");
            return null;
        }
    }

    /** A duration in [min, max], or {@code fallback} (and a problem saying {@code range}). */
    private Duration duration(String key, Duration fallback, Duration min, Duration max, String range) {
        String v = settings.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            Duration d = parseDuration(v);
            if (d.compareTo(min) >= 0 && d.compareTo(max) <= 0) {
                return d;
            }
        } catch (IllegalArgumentException e) {
            // reported below, without the exception's text
        }
        add(key, "must be a duration " + range + ", was '" + v + "'");
        return fallback;
    }

    private URI httpUrl(String key, boolean required, boolean allowInsecure) {
        String v = settings.get(key);
        if (v == null) {
            if (required) {
                add(key, "required");
            }
            return null;
        }
        URI uri;
        try {
            uri = new URI(v);
        } catch (URISyntaxException e) {
            add(key, "is not a valid URL");
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (uri.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
            add(key, "must be an absolute http(s) URL");
            return null;
        }
        if (uri.getUserInfo() != null) {
            add(key, "must not carry credentials in the URL");
            return null;
        }
        if (scheme.equals("http") && !allowInsecure && !isLoopback(uri.getHost())) {
            add(key, "http to the remote host " + uri.getHost() + " is refused: tokens and secrets would travel "
                    + "in clear; use https, or set " + key.substring(0, key.lastIndexOf('.')) + ".allow-insecure-http=true");
            return null;
        }
        return uri;
    }

    /**
     * The one way a secret is configured: inline ({@code inlineKey}, may be null where a secret must
     * not sit in a file of settings), the NAME of an environment variable ({@code envKey}), or a file
     * ({@code fileKey}, read again when it changes); at most one of them. Null if none is given
     * (a problem if {@code required} is not null, saying what to set) or it cannot be had.
     */
    private SecretSource secret(String inlineKey, String envKey, String fileKey, String required) {
        String key = first(inlineKey, envKey, fileKey);
        if (key == null) {
            if (required != null) {
                add(inlineKey != null ? inlineKey : envKey, required);
            }
            return null;
        }
        int given = (inlineKey != null && settings.get(inlineKey) != null ? 1 : 0)
                + (settings.get(envKey) != null ? 1 : 0) + (settings.get(fileKey) != null ? 1 : 0);
        if (given > 1) {
            add(key, "give only one of " + String.join(", ", inlineKey == null ? List.of(tail(envKey), tail(fileKey))
                    : List.of(tail(inlineKey), tail(envKey), tail(fileKey))));
            return null;
        }
        String value = settings.get(key);
        if (key.equals(inlineKey)) {
            String cleaned = SecretSource.clean(value);
            if (cleaned == null) {
                add(key, "is blank");
                return null;
            }
            return SecretSource.of(Secret.of(cleaned));
        }
        if (key.equals(envKey)) {
            // the environment of a running JVM cannot change: read once
            Secret s = fromEnvironment(key, value);
            return s == null ? null : SecretSource.of(s);
        }
        return secretFile(key, value);
    }

    /** The last part of a setting's name, for "give only one of" lists ({@code client-secret-env}). */
    private static String tail(String key) {
        return key.startsWith("clients.") ? key.substring(key.indexOf('.', "clients.".length()) + 1) : key;
    }

    /**
     * The cleaned value of the variable {@code name}, or null (and a problem). The name is echoed
     * only when it looks like a variable name in the usual upper case: a secret pasted into a
     * {@code *-env} field by mistake must not end up in the message.
     */
    private Secret fromEnvironment(String key, String name) {
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            add(key, "the value of " + key + " is not a valid environment variable name (not shown: it may be a "
                    + "secret; this setting takes the NAME of a variable that holds the secret)");
            return null;
        }
        String value = SecretSource.clean(settings.environment().get(name));
        if (value == null) {
            add(key, "the environment variable " + shownName(name) + " is not set or is blank");
            return null;
        }
        return Secret.of(value);
    }

    /**
     * A secret file as a source that is read again when it changes, or null (and a problem). A file
     * others can read is accepted with one WARN naming the path (Kubernetes mounts secrets 0644
     * unless told otherwise, so refusing would break ordinary deployments). A value that does not
     * look like a path is never shown, nor handed to code whose message would show it.
     */
    private SecretSource secretFile(String key, String file) {
        Path path;
        try {
            path = Path.of(file);
        } catch (RuntimeException e) { // InvalidPathException: not a path at all
            add(key, "the value of " + key + " is not a valid path (not shown: it may be a secret)");
            return null;
        }
        if (!file.equals(shownPath(file))) {
            add(key, "cannot read the file " + shownPath(file));
            return null;
        }
        try {
            SecretSource source = SecretSource.file(path);
            warnIfOthersCanRead(key, path, file);
            return source;
        } catch (ConfigurationException e) {
            e.problems().forEach(m -> add(key, m));
            return null;
        }
    }

    private static void warnIfOthersCanRead(String key, Path file, String shown) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.GROUP_READ)) {
                warnOnce(key + ": the secret file " + shown + " can be read by other users (mode "
                        + PosixFilePermissions.toString(perms) + "); make it readable by its owner only (chmod 600)");
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system, or gone already: nothing to warn about here
        }
    }

    /**
     * Logs {@code message} at WARN unless this process already did. The logger is looked up here,
     * not held in a static field, so that reading a configuration starts no logging framework (the
     * command line's cache hit reads one and logs nothing).
     */
    private static void warnOnce(String message) {
        if (WARNED.add(message)) {
            Logger log = LoggerFactory.getLogger(TokenkeeperConfig.class);
            log.warn(message);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Shared rules

    /**
     * {@code name} if it looks like an environment variable name (upper case, digits, underscores),
     * else a placeholder: the value of a {@code *-env} setting may be a secret pasted by mistake.
     */
    static String shownName(String name) {
        return name.matches("[A-Z_][A-Z0-9_]{0,63}") ? name : "(name not shown: it does not look like one)";
    }

    /**
     * {@code path} if it looks like a path (absolute or {@code ./}, {@code ../}, {@code ~/}, or an
     * existing file), else a placeholder: the value of a {@code *-file} setting may be a pasted secret.
     */
    static String shownPath(String path) {
        try {
            return path.matches("(/|\\./|\\.\\./|~/)[A-Za-z0-9._/ -]*") || Files.exists(Path.of(path))
                    ? path : "(path not shown: it does not look like one)";
        } catch (RuntimeException notAPath) {
            return "(path not shown: it does not look like one)";
        }
    }

    /**
     * Whether {@code host} is loopback by its literal form alone, never by a DNS lookup:
     * {@code localhost} (any case), or a literal IPv4 address or IPv6 address (with or without
     * brackets) in the loopback range. Any other name is not trusted to be loopback.
     */
    static boolean isLoopback(String host) {
        String h = host.strip();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!h.matches("[0-9.]+") && !h.contains(":")) {
            return false; // a name: no DNS lookup to decide
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress(); // a literal: parsed, not looked up
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Parses {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 2d}, a plain number of
     * seconds, or ISO-8601.
     *
     * @throws IllegalArgumentException if it is none of these, or longer than
     *     {@link TokenkeeperConfig#MAX_DURATION} (the message is then {@code "out of range"})
     */
    static Duration parseDuration(String text) {
        Duration d = parseUnbounded(text);
        if (d.abs().compareTo(TokenkeeperConfig.MAX_DURATION) > 0) {
            throw new IllegalArgumentException(OUT_OF_RANGE);
        }
        return d;
    }

    private static Duration parseUnbounded(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("p") || t.startsWith("-p")) {
                return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(OUT_OF_RANGE);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(text);
        }
        Matcher m = DURATION.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException(text);
        }
        try {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException(OUT_OF_RANGE); // more digits than a long, or more seconds than a Duration
        }
    }
}
