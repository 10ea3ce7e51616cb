package dev.tokenkeeper.bootstrap;

import dev.tokenkeeper.application.Resilience;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.bootstrap.persistence.LocalStore;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.RetryStrategy;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenKey;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The validated configuration of a tokenkeeper process: its clients, refresh policy, resilience,
 * store and sealing keys. {@link #from(Settings)} checks everything and reports every problem at
 * once, each naming the setting and where it came from; no message ever contains a secret.
 *
 * @param clients the clients by name, in configuration order
 * @param expiryPolicy when tokens are refreshed and when they count as expired
 * @param proactiveRefresh whether tokens are refreshed before callers ask
 * @param resilience retries, timeouts and breaker around the token endpoints
 * @param store where tokens are shared or kept
 * @param sealingKeys the keys that seal tokens at rest, or null (memory store only)
 */
public record TokenkeeperConfig(
        Map<String, ClientConfig> clients,
        ExpiryPolicy expiryPolicy,
        boolean proactiveRefresh,
        Resilience resilience,
        StoreConfig store,
        SealingKeys sealingKeys) {

    /** The store types ({@code file}: the local H2 file, see {@link LocalStore}). */
    public static final Set<String> STORE_TYPES = Set.of("memory", "redis", "jdbc", "file");

    private static final Pattern CLIENT_KEY = Pattern.compile("clients\\.([A-Za-z0-9_-]+)\\.(.+)");
    private static final Set<String> CLIENT_SETTINGS = Set.of("token-url", "client-id", "client-secret",
            "client-secret-env", "client-secret-file", "auth-method", "scope", "audience", "resource",
            "revocation-url", "allow-insecure-http");
    private static final Set<String> GLOBAL_SETTINGS = Set.of("refresh.ahead", "refresh.ahead-fraction",
            "refresh.clock-skew", "refresh.jitter", "refresh.proactive", "resilience.attempts",
            "resilience.attempt-timeout", "resilience.deadline", "breaker.failures", "breaker.open-delay",
            "store.type", "store.url", "store.prefix", "store.path", "sealing.keys", "sealing.keys-env", "sealing.keys-file");

    /**
     * One client registration.
     *
     * @param name the registration name (the {@link TokenKey#client()})
     * @param tokenUrl the token endpoint
     * @param clientId the client id
     * @param clientSecret the client secret
     * @param authMethod {@code client_secret_basic} or {@code client_secret_post}
     * @param scopes the scopes to request
     * @param audience the audience to request, or null
     * @param resource the resource indicator to request, or null
     * @param revocationUrl the RFC 7009 revocation endpoint, or null
     * @param allowInsecureHttp whether http to a non-loopback host is allowed
     */
    public record ClientConfig(
            String name,
            URI tokenUrl,
            String clientId,
            Secret clientSecret,
            String authMethod,
            List<String> scopes,
            String audience,
            String resource,
            URI revocationUrl,
            boolean allowInsecureHttp) {

        /** The key for this client's configured scopes, audience and resource. */
        public TokenKey key() {
            return TokenKey.builder(name).scopes(scopes).audience(audience).resource(resource).build();
        }
    }

    /**
     * Where tokens are kept.
     *
     * @param type memory, redis, jdbc or file
     * @param url the Redis URI or JDBC URL, the directory for file, or null for memory
     * @param prefix the key or table prefix, or null for the default
     */
    public record StoreConfig(String type, String url, String prefix) {
        /** Whether the store outlives the process or is shared. */
        public boolean persistent() {
            return !"memory".equals(type);
        }

        @Override
        public String toString() {
            return "StoreConfig[type=" + type + ", url=" + redactUserInfo(url) + ", prefix=" + prefix + "]";
        }
    }

    /**
     * Reads and validates {@code settings}.
     *
     * @throws ConfigurationException listing every problem found
     */
    public static TokenkeeperConfig from(Settings settings) {
        Problems problems = new Problems(settings);
        Map<String, Map<String, String>> byClient = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : settings.all().entrySet()) {
            Matcher m = CLIENT_KEY.matcher(e.getKey());
            if (m.matches()) {
                if (!CLIENT_SETTINGS.contains(m.group(2))) {
                    problems.add(e.getKey(), "unknown client setting (known: " + new TreeSet<>(CLIENT_SETTINGS) + ")");
                    continue;
                }
                byClient.computeIfAbsent(m.group(1), k -> new LinkedHashMap<>()).put(m.group(2), e.getValue());
            } else if (!GLOBAL_SETTINGS.contains(e.getKey()) && !e.getKey().startsWith("sidecar.")) {
                problems.add(e.getKey(), "unknown setting");
            }
        }
        if (byClient.isEmpty()) {
            problems.add("clients", "no client configured: set OAUTH_TOKEN_URL, OAUTH_CLIENT_ID and "
                    + "OAUTH_CLIENT_SECRET, or clients.<name>.token-url, .client-id and .client-secret-env in a config file");
        }
        Map<String, ClientConfig> clients = new LinkedHashMap<>();
        byClient.forEach((name, values) -> {
            ClientConfig c = client(name, values, settings, problems);
            if (c != null) {
                clients.put(name, c);
            }
        });

        ExpiryPolicy.Builder expiry = ExpiryPolicy.builder();
        Duration ahead = problems.duration("refresh.ahead");
        if (ahead != null) {
            problems.apply("refresh.ahead", () -> expiry.refreshAhead(ahead));
        }
        Double fraction = problems.number("refresh.ahead-fraction");
        if (fraction != null) {
            problems.apply("refresh.ahead-fraction", () -> expiry.refreshAheadFraction(fraction));
        }
        Duration skew = problems.duration("refresh.clock-skew");
        if (skew != null) {
            problems.apply("refresh.clock-skew", () -> expiry.clockSkew(skew));
        }
        Double jitter = problems.number("refresh.jitter");
        if (jitter != null) {
            problems.apply("refresh.jitter", () -> expiry.jitter(jitter));
        }
        boolean proactive = problems.bool("refresh.proactive", true);

        Resilience resilience = resilience(problems);

        String type = settings.get("store.type") == null ? "memory" : settings.get("store.type").toLowerCase(Locale.ROOT);
        if (!STORE_TYPES.contains(type)) {
            problems.add("store.type", "unknown store '" + settings.get("store.type") + "' (use one of " + new TreeSet<>(STORE_TYPES) + ")");
        }
        String url = settings.get("store.url");
        if (url == null && "redis".equals(type)) {
            url = settings.environment().get("REDIS_URL");
        }
        if (url == null && "jdbc".equals(type)) {
            url = settings.environment().get("JDBC_URL");
        }
        if (url == null && ("redis".equals(type) || "jdbc".equals(type))) {
            problems.add("store.url", "required for store.type=" + type + " (a redis:// URI or a jdbc: URL; or REDIS_URL / JDBC_URL)");
        } else if (url != null && "redis".equals(type) && !(url.startsWith("redis://") || url.startsWith("rediss://"))) {
            problems.add("store.url", "must be a redis:// or rediss:// URI for store.type=redis");
        } else if (url != null && "jdbc".equals(type) && !url.startsWith("jdbc:")) {
            problems.add("store.url", "must be a jdbc: URL for store.type=jdbc");
        }
        if ("file".equals(type)) {
            if (settings.get("store.url") != null) {
                problems.add("store.url", "not used by store.type=file; set store.path (a directory) or TOKENKEEPER_HOME");
            }
            url = LocalStore.directory(settings.get("store.path"), settings.environment()).toString();
        } else if (settings.get("store.path") != null) {
            problems.add("store.path", "only used by store.type=file");
        }
        StoreConfig store = new StoreConfig(type, url, settings.get("store.prefix"));

        SealingKeys keys = sealingKeys(settings, problems);
        // file: without configured keys, the local store's key file is used (see LocalStore.sealingKeys)
        if (keys == null && store.persistent() && STORE_TYPES.contains(type) && !"file".equals(type)) {
            problems.add("sealing.keys", "required for store.type=" + type + ": tokens at rest are sealed with "
                    + "AES-256-GCM; generate a key with `tokenkeeper config keygen` and pass it in "
                    + "TOKENKEEPER_SEALING_KEYS or sealing.keys-file");
        }
        problems.throwIfAny();
        return new TokenkeeperConfig(Map.copyOf(clients), expiry.build(), proactive, resilience, store, keys);
    }

    /** The clients in configuration order. */
    public List<ClientConfig> clientList() {
        return new ArrayList<>(clients.values()).stream().sorted((a, b) -> a.name().compareTo(b.name())).toList();
    }

    private static ClientConfig client(String name, Map<String, String> v, Settings settings, Problems problems) {
        String p = "clients." + name + ".";
        boolean insecure = problems.bool(p + "allow-insecure-http", false);
        URI tokenUrl = problems.url(p + "token-url", true, insecure);
        URI revocationUrl = problems.url(p + "revocation-url", false, insecure);
        String clientId = v.get("client-id");
        if (clientId == null || clientId.isBlank()) {
            problems.add(p + "client-id", "required");
        }
        Secret secret = secret(p, v, settings, problems);
        String method = v.getOrDefault("auth-method", "client_secret_basic").toLowerCase(Locale.ROOT);
        if (!method.equals("client_secret_basic") && !method.equals("client_secret_post")) {
            problems.add(p + "auth-method", "must be client_secret_basic or client_secret_post, was '" + v.get("auth-method") + "'");
        }
        List<String> scopes = v.get("scope") == null || v.get("scope").isBlank()
                ? List.of()
                : Arrays.stream(v.get("scope").trim().split("[\\s,]+")).toList();
        String audience = v.get("audience");
        String resource = v.get("resource");
        try {
            TokenKey.builder(name).scopes(scopes).audience(audience).resource(resource).build();
        } catch (IllegalArgumentException e) {
            problems.add(p + "scope", e.getMessage());
        }
        if (tokenUrl == null || clientId == null || secret == null) {
            return null;
        }
        return new ClientConfig(name, tokenUrl, clientId, secret, method, scopes, audience, resource, revocationUrl, insecure);
    }

    private static Secret secret(String p, Map<String, String> v, Settings settings, Problems problems) {
        String inline = v.get("client-secret");
        String envName = v.get("client-secret-env");
        String file = v.get("client-secret-file");
        int given = (inline != null ? 1 : 0) + (envName != null ? 1 : 0) + (file != null ? 1 : 0);
        if (given == 0) {
            problems.add(p + "client-secret", "required: set client-secret-env (the name of an environment variable) "
                    + "or client-secret-file (a path), or OAUTH_CLIENT_SECRET");
            return null;
        }
        if (given > 1) {
            problems.add(p + "client-secret", "give only one of client-secret, client-secret-env, client-secret-file");
            return null;
        }
        if (inline != null) {
            return Secret.of(inline);
        }
        if (envName != null) {
            String value = settings.environment().get(envName);
            if (value == null || value.isEmpty()) {
                problems.add(p + "client-secret-env", "the environment variable " + envName + " is not set");
                return null;
            }
            return Secret.of(value);
        }
        return readSecretFile(p + "client-secret-file", file, problems);
    }

    private static Secret readSecretFile(String key, String file, Problems problems) {
        try {
            String value = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
            if (value.isEmpty()) {
                problems.add(key, "the file " + file + " is empty");
                return null;
            }
            return Secret.of(value);
        } catch (IOException | RuntimeException e) {
            problems.add(key, "cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
            return null;
        }
    }

    private static Resilience resilience(Problems problems) {
        Resilience r = Resilience.defaults();
        Double attempts = problems.number("resilience.attempts");
        Duration attemptTimeout = problems.duration("resilience.attempt-timeout");
        Duration deadline = problems.duration("resilience.deadline");
        Double failures = problems.number("breaker.failures");
        Duration openDelay = problems.duration("breaker.open-delay");
        try {
            if (attempts != null) {
                r = r.withRetry(attempts.intValue() <= 1
                        ? RetryStrategy.none()
                        : RetryStrategy.exponentialWithJitter(Duration.ofMillis(250), Duration.ofSeconds(5), attempts.intValue()));
            }
            if (attemptTimeout != null || deadline != null) {
                r = r.withTimeouts(
                        attemptTimeout != null ? attemptTimeout : r.attemptTimeout(), deadline != null ? deadline : r.deadline());
            }
            if (failures != null || openDelay != null) {
                r = r.withBreaker(failures != null ? failures.intValue() : r.breakerFailureThreshold(),
                        openDelay != null ? openDelay : r.breakerOpenDelay(), r.breakerSuccessThreshold());
            }
        } catch (ConfigurationException | IllegalArgumentException e) {
            problems.add("resilience", e.getMessage().replace("invalid configuration: ", ""));
        }
        return r;
    }

    private static SealingKeys sealingKeys(Settings settings, Problems problems) {
        String spec = settings.get("sealing.keys");
        String envName = settings.get("sealing.keys-env");
        String file = settings.get("sealing.keys-file");
        if (spec == null && envName != null) {
            spec = settings.environment().get(envName);
            if (spec == null) {
                problems.add("sealing.keys-env", "the environment variable " + envName + " is not set");
                return null;
            }
        }
        if (spec == null && file != null) {
            Secret s = readSecretFile("sealing.keys-file", file, problems);
            if (s == null) {
                return null;
            }
            spec = s.reveal();
        }
        if (spec == null) {
            return null;
        }
        try {
            return SealingKeys.parse(spec);
        } catch (ConfigurationException e) {
            e.problems().forEach(msg -> problems.add("sealing.keys", msg));
            return null;
        }
    }

    static String redactUserInfo(String url) {
        if (url == null) {
            return null;
        }
        return url.replaceAll("//[^/@]*@", "//***@").replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    /** Collects problems, each naming the setting and where it was set. */
    private static final class Problems {
        private final Settings settings;
        private final List<String> list = new ArrayList<>();

        Problems(Settings settings) {
            this.settings = settings;
        }

        void add(String key, String message) {
            String origin = settings.get(key) != null ? " (from " + settings.origin(key) + ")" : "";
            list.add(key + ": " + message + origin);
        }

        void apply(String key, Runnable r) {
            try {
                r.run();
            } catch (IllegalArgumentException e) {
                add(key, e.getMessage());
            }
        }

        boolean bool(String key, boolean fallback) {
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

        Double number(String key) {
            String v = settings.get(key);
            if (v == null) {
                return null;
            }
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException e) {
                add(key, "must be a number, was '" + v + "'");
                return null;
            }
        }

        Duration duration(String key) {
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
                add(key, "must be a duration such as 500ms, 30s, 5m, 1h or PT1M, was '" + v + "'");
                return null;
            }
        }

        URI url(String key, boolean required, boolean allowInsecure) {
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

        void throwIfAny() {
            if (!list.isEmpty()) {
                throw new ConfigurationException(list);
            }
        }
    }

    static boolean isLoopback(String host) {
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!h.matches("[0-9.]+") && !h.contains(":")) {
            return false; // a name: no DNS lookup to decide
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 2d}, a plain number of seconds, or ISO-8601. */
    public static Duration parseDuration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("pt") || t.startsWith("p") || t.startsWith("-p")) {
                return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
            }
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(text);
        }
        Matcher m = Pattern.compile("(-?\\d+)(ms|s|m|h|d)?").matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException(text);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }
}
