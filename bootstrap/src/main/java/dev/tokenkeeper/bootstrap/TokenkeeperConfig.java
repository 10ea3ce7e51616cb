package dev.tokenkeeper.bootstrap;

import dev.tokenkeeper.adapter.http.SecretSource;
import dev.tokenkeeper.application.Resilience;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.bootstrap.persistence.LocalFiles;
import dev.tokenkeeper.bootstrap.persistence.StoreUrl;
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
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    /** The store types ({@code file}: the local H2 file, see {@link LocalFiles}). */
    public static final Set<String> STORE_TYPES = Set.of("memory", "redis", "jdbc", "file");

    private static final Logger LOG = LoggerFactory.getLogger(TokenkeeperConfig.class);

    private static final Pattern CLIENT_KEY = Pattern.compile("clients\\.([A-Za-z0-9_-]+)\\.(.+)");
    private static final Set<String> CLIENT_SETTINGS = Set.of("token-url", "client-id", "client-secret",
            "client-secret-env", "client-secret-file", "auth-method", "scope", "audience", "resource",
            "revocation-url", "allow-insecure-http");
    private static final Set<String> GLOBAL_SETTINGS = Set.of("refresh.ahead", "refresh.ahead-fraction",
            "refresh.clock-skew", "refresh.jitter", "refresh.proactive", "resilience.attempts",
            "resilience.attempt-timeout", "resilience.deadline", "breaker.failures", "breaker.open-delay",
            "store.type", "store.url", "store.prefix", "store.path", "store.password", "store.password-env",
            "store.password-file", "sealing.keys", "sealing.keys-env", "sealing.keys-file");

    /** The longest duration any setting accepts: ten years; anything longer is a typo or an overflow waiting to happen. */
    public static final Duration MAX_DURATION = Duration.ofDays(3650);

    /** The most attempts {@code resilience.attempts} allows (as {@link RetryStrategy}). */
    static final int MAX_ATTEMPTS = 100;

    private static final String OUT_OF_RANGE = "out of range";

    /**
     * One client registration.
     *
     * @param name the registration name (the {@link TokenKey#client()})
     * @param tokenUrl the token endpoint
     * @param clientId the client id
     * @param secretSource where the client secret comes from (a file is read again when it changes)
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
            SecretSource secretSource,
            String authMethod,
            List<String> scopes,
            String audience,
            String resource,
            URI revocationUrl,
            boolean allowInsecureHttp) {

        /** The client secret now. */
        public Secret clientSecret() {
            return secretSource.current();
        }

        /** The key for this client's configured scopes, audience and resource. */
        public TokenKey key() {
            return TokenKey.builder(name).scopes(scopes).audience(audience).resource(resource).build();
        }
    }

    /**
     * Where tokens are kept.
     *
     * @param type memory, redis, jdbc or file
     * @param url the Redis URI or JDBC URL without any password, the directory for file, or null for memory
     * @param prefix the key or table prefix, or null for the default
     * @param user the user from the URL's user info, or null
     * @param password the store's password (from the URL, store.password, store.password-env or
     *     store.password-file), or null; never part of {@code url}
     */
    public record StoreConfig(String type, String url, String prefix, String user, Secret password) {

        /** A store without credentials apart from its URL. */
        public StoreConfig(String type, String url, String prefix) {
            this(type, url, prefix, null, null);
        }

        /** The URL split from its credentials, for opening the store. */
        public StoreUrl credentials() {
            return new StoreUrl(url == null ? "" : url, user, password);
        }

        /** Whether the store outlives the process or is shared. */
        public boolean persistent() {
            return !"memory".equals(type);
        }

        @Override
        public String toString() {
            return "StoreConfig[type=" + type + ", url=" + StoreUrl.redact(url) + ", prefix=" + prefix
                    + (password == null ? "" : ", with a password") + "]";
        }
    }

    /**
     * Reads and validates {@code settings}.
     *
     * @throws ConfigurationException listing every problem found
     */
    public static TokenkeeperConfig from(Settings settings) {
        Problems problems = new Problems(settings);
        settings.unknownVariables().forEach(LOG::warn);
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

        StoreConfig store = store(settings, problems);
        String type = store.type();

        SealingKeys keys = sealingKeys(settings, problems);
        // file: without configured keys, the local store's key file is used (see LocalFiles.sealingKeys)
        if (keys == null && store.persistent() && STORE_TYPES.contains(type) && !"file".equals(type)) {
            problems.add("sealing.keys", "required for store.type=" + type + ": tokens at rest are sealed with "
                    + "AES-256-GCM; generate a key with `tokenkeeper config keygen` and pass it in "
                    + "TOKENKEEPER_SEALING_KEYS or sealing.keys-file");
        }
        problems.throwIfAny();
        return new TokenkeeperConfig(Map.copyOf(clients), expiry.build(), proactive, resilience, store, keys);
    }

    /**
     * The store {@code settings} configure, alone (for showing what a command would use).
     *
     * @throws ConfigurationException listing the store's problems
     */
    public static StoreConfig storeConfig(Settings settings) {
        Problems problems = new Problems(settings);
        StoreConfig store = store(settings, problems);
        problems.throwIfAny();
        return store;
    }

    private static StoreConfig store(Settings settings, Problems problems) {
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
            url = LocalFiles.directory(settings.get("store.path"), settings.environment()).toString();
        } else if (settings.get("store.path") != null) {
            problems.add("store.path", "only used by store.type=file");
        }
        StoreConfig store = new StoreConfig(type, url, settings.get("store.prefix"));
        Secret storePassword = storePassword(type, settings, problems);
        if (url != null && ("redis".equals(type) || "jdbc".equals(type))) {
            try {
                StoreUrl split = StoreUrl.split("store.url", url).withPassword("store.url", storePassword);
                store = new StoreConfig(type, split.location(), settings.get("store.prefix"), split.user(), split.password());
                if ("redis".equals(type)) {
                    URI uri = new URI(split.location()); // the location holds no password: its errors may be shown
                    if (uri.getHost() == null) {
                        problems.add("store.url", "the Redis URI " + split + " has no host (percent-encode special characters)");
                    }
                }
            } catch (URISyntaxException e) {
                problems.add("store.url", "is not a valid Redis URI: " + e.getReason() + " (percent-encode special characters)");
            } catch (ConfigurationException e) {
                e.problems().forEach(msg -> problems.add("store.url", msg.substring(msg.indexOf(": ") + 2)));
            }
        }
        return store;
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
        SecretSource secret = secret(p, v, settings, problems);
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

    private static SecretSource secret(String p, Map<String, String> v, Settings settings, Problems problems) {
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
            String value = SecretSource.clean(inline);
            if (value == null) {
                problems.add(p + "client-secret", "is blank");
                return null;
            }
            return SecretSource.of(Secret.of(value));
        }
        if (envName != null) {
            // the environment of a running JVM cannot change: read once
            Secret value = fromEnvironment(p + "client-secret-env", envName, settings, problems);
            return value == null ? null : SecretSource.of(value);
        }
        return secretFile(p + "client-secret-file", file, problems);
    }

    /**
     * The cleaned value of the variable {@code name}, or null (and a problem). The name is echoed
     * only when it looks like a variable name in the usual upper case: a secret pasted into a
     * {@code *-env} field by mistake must not end up in the message.
     */
    private static Secret fromEnvironment(String key, String name, Settings settings, Problems problems) {
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            problems.add(key, "the value of " + key + " is not a valid environment variable name (not shown: it may be a "
                    + "secret; this setting takes the NAME of a variable that holds the secret)");
            return null;
        }
        String value = SecretSource.clean(settings.environment().get(name));
        if (value == null) {
            problems.add(key, "the environment variable " + shownName(name) + " is not set or is blank");
            return null;
        }
        return Secret.of(value);
    }

    /**
     * {@code name} if it looks like an environment variable name (upper case, digits, underscores),
     * else a placeholder: the value of a {@code *-env} setting may be a secret pasted by mistake.
     */
    public static String shownName(String name) {
        return name.matches("[A-Z_][A-Z0-9_]{0,63}") ? name : "(name not shown: it does not look like one)";
    }

    /**
     * {@code path} if it looks like a path (absolute or {@code ./}, {@code ../}, {@code ~/}, or an
     * existing file), else a placeholder: the value of a {@code *-file} setting may be a pasted secret.
     */
    public static String shownPath(String path) {
        return path.matches("(/|\\./|\\.\\./|~/)[A-Za-z0-9._/ -]*") || Files.exists(Path.of(path))
                ? path : "(path not shown: it does not look like one)";
    }

    /**
     * A secret file as a source that is read again when it changes, or null (and a problem). A file
     * others can read is accepted with one WARN naming the path (Kubernetes mounts secrets 0644
     * unless told otherwise, so refusing would break ordinary deployments).
     */
    private static SecretSource secretFile(String key, String file, Problems problems) {
        String shown;
        try {
            shown = shownPath(file);
        } catch (RuntimeException e) { // InvalidPathException: not a path at all
            problems.add(key, "the value of " + key + " is not a valid path (not shown: it may be a secret)");
            return null;
        }
        try {
            SecretSource source = SecretSource.file(Path.of(file));
            warnIfOthersCanRead(key, Path.of(file), shown);
            return source;
        } catch (ConfigurationException e) {
            problems.add(key, e.getMessage().replace(file, shown).replace("invalid configuration: ", ""));
            return null;
        }
    }

    private static void warnIfOthersCanRead(String key, Path file, String shown) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.GROUP_READ)) {
                LOG.warn("{}: the secret file {} can be read by other users (mode {}); make it readable by its owner "
                        + "only (chmod 600)", key, shown, PosixFilePermissions.toString(perms));
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system, or gone already: nothing to warn about here
        }
    }

    private static Secret readSecretFile(String key, String file, Problems problems) {
        SecretSource source = secretFile(key, file, problems);
        return source == null ? null : source.current();
    }

    /**
     * The store password configured in {@code settings} (store.password or TOKENKEEPER_STORE_PASSWORD,
     * store.password-env, store.password-file or TOKENKEEPER_STORE_PASSWORD_FILE), or null.
     *
     * @param type the store type it is for (redis or jdbc)
     * @throws ConfigurationException if it is given twice or cannot be read; the message shows no password
     */
    public static Secret storePassword(String type, Settings settings) {
        Problems problems = new Problems(settings);
        Secret s = storePassword(type, settings, problems);
        problems.throwIfAny();
        return s;
    }

    /**
     * A secret named on the command line: the name of an environment variable or a file path (so
     * that the secret itself is never in the process list), or null if neither is given.
     *
     * @throws ConfigurationException if both are given, the variable is not set, or the file cannot
     *     be read; the message never shows a secret
     */
    public static Secret secretFromOptions(String envOption, String envName, String fileOption, String file,
            Map<String, String> environment) {
        if (envName == null && file == null) {
            return null;
        }
        Settings settings = Settings.load(null, environment);
        Problems problems = new Problems(settings);
        if (envName != null && file != null) {
            throw new ConfigurationException("give only one of " + envOption + " and " + fileOption);
        }
        Secret s = envName != null ? fromEnvironment(envOption, envName, settings, problems) : readSecretFile(fileOption, file, problems);
        problems.throwIfAny();
        return s;
    }

    /** The store password from store.password, store.password-env or store.password-file, or null. */
    private static Secret storePassword(String type, Settings settings, Problems problems) {
        String inline = settings.get("store.password");
        String envName = settings.get("store.password-env");
        String file = settings.get("store.password-file");
        int given = (inline != null ? 1 : 0) + (envName != null ? 1 : 0) + (file != null ? 1 : 0);
        if (given == 0) {
            return null;
        }
        String key = inline != null ? "store.password" : envName != null ? "store.password-env" : "store.password-file";
        if (given > 1) {
            problems.add(key, "give only one of store.password (TOKENKEEPER_STORE_PASSWORD), store.password-env, "
                    + "store.password-file (TOKENKEEPER_STORE_PASSWORD_FILE)");
            return null;
        }
        if (!"redis".equals(type) && !"jdbc".equals(type)) {
            problems.add(key, "only used by store.type=redis or jdbc");
            return null;
        }
        if (inline != null) {
            String value = SecretSource.clean(inline);
            return value == null ? null : Secret.of(value);
        }
        if (envName != null) {
            return fromEnvironment(key, envName, settings, problems);
        }
        return readSecretFile(key, file, problems);
    }

    private static Resilience resilience(Problems problems) {
        Resilience r = Resilience.defaults();
        Integer attempts = problems.integer("resilience.attempts", 1, MAX_ATTEMPTS);
        Duration attemptTimeout = problems.duration("resilience.attempt-timeout");
        Duration deadline = problems.duration("resilience.deadline");
        Integer failures = problems.integer("breaker.failures", 1, Integer.MAX_VALUE);
        Duration openDelay = problems.duration("breaker.open-delay");
        try {
            if (attempts != null) {
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
            Secret value = fromEnvironment("sealing.keys-env", envName, settings, problems);
            if (value == null) {
                return null;
            }
            spec = value.reveal();
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
        return StoreUrl.redact(url);
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
        Integer integer(String key, int min, int max) {
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
            add(key, "must be a whole number from " + min + (max == Integer.MAX_VALUE ? " up" : " to " + max)
                    + ", was '" + v + "'");
            return null;
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
                add(key, OUT_OF_RANGE.equals(e.getMessage())
                        ? "is out of range, was '" + v + "' (at most " + MAX_DURATION.toDays() + "d)"
                        : "must be a duration such as 500ms, 30s, 5m, 1h or PT1M, was '" + v + "'");
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

    /**
     * Parses {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 2d}, a plain number of
     * seconds, or ISO-8601.
     *
     * @throws IllegalArgumentException if it is none of these, or longer than {@link #MAX_DURATION}
     *     (the message is then {@code "out of range"})
     */
    public static Duration parseDuration(String text) {
        Duration d = parseUnbounded(text);
        if (d.abs().compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException(OUT_OF_RANGE);
        }
        return d;
    }

    private static Duration parseUnbounded(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("pt") || t.startsWith("p") || t.startsWith("-p")) {
                return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
            }
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(OUT_OF_RANGE);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(text);
        }
        Matcher m = Pattern.compile("(-?\\d+)(ms|s|m|h|d)?").matcher(t);
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
