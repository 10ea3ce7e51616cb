package dev.tokenkeeper.bootstrap;

import dev.tokenkeeper.bootstrap.persistence.LocalFiles;
import dev.tokenkeeper.domain.ConfigurationException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Flat configuration settings ({@code clients.billing.token-url=…}) with the place each came from,
 * so that an error can say where to fix it. Sources are layered: a properties file, then the
 * environment, later layers overriding earlier ones.
 *
 * <p>Environment variables understood (the conventional names, for one client called
 * {@value #DEFAULT_CLIENT}):
 * <pre>
 * OAUTH_TOKEN_URL, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET (or OAUTH_CLIENT_SECRET_FILE, a file read
 * again when it changes), OAUTH_SCOPE, OAUTH_AUDIENCE,
 * OAUTH_RESOURCE, OAUTH_AUTH_METHOD, OAUTH_REVOCATION_URL,
 * OAUTH_GRANT, OAUTH_SUBJECT_TOKEN_FILE, OAUTH_SUBJECT_TOKEN_TYPE, OAUTH_GRANT_ASSERTION_FILE, OAUTH_USERNAME,
 * OAUTH_PASSWORD_FILE, OAUTH_REFRESH_TOKEN_FILE, OAUTH_DPOP, OAUTH_DPOP_KEY_FILE,
 * OAUTH_ISSUER, OAUTH_ASSERTION_KEY_FILE, OAUTH_ASSERTION_KEY_ID, OAUTH_TLS_CERT_FILE, OAUTH_TLS_KEY_FILE,
 * OAUTH_TLS_KEYSTORE_FILE, OAUTH_TRUST_FILE,
 * TOKENKEEPER_REFRESH_AHEAD, TOKENKEEPER_REFRESH_AHEAD_FRACTION, TOKENKEEPER_CLOCK_SKEW,
 * TOKENKEEPER_JITTER, TOKENKEEPER_STORE, TOKENKEEPER_STORE_URL, TOKENKEEPER_STORE_PASSWORD,
 * TOKENKEEPER_STORE_PASSWORD_FILE, TOKENKEEPER_SEALING_KEYS, TOKENKEEPER_CACHE_MAXIMUM_KEYS,
 * TOKENKEEPER_CACHE_IDLE_TIMEOUT
 * </pre>
 * and, for any setting, {@code TOKENKEEPER__} followed by the key with {@code .} written as
 * {@code __} and {@code -} as {@code _}, e.g. {@code TOKENKEEPER__CLIENTS__BILLING__TOKEN_URL}
 * (client names are then lower-cased). Any other {@code OAUTH_*} or {@code TOKENKEEPER_*} variable
 * is reported by {@link #unknownVariables()} (a typo such as {@code OAUTH_SCOPES} would otherwise
 * be silently ignored).
 *
 * <p>Immutable.
 */
public final class Settings {

    /** The client name the {@code OAUTH_*} variables configure. */
    public static final String DEFAULT_CLIENT = "default";

    private static final Map<String, String> ENV_NAMES = Map.ofEntries(
            Map.entry("OAUTH_TOKEN_URL", "clients.default.token-url"),
            Map.entry("OAUTH_CLIENT_ID", "clients.default.client-id"),
            Map.entry("OAUTH_CLIENT_SECRET", "clients.default.client-secret"),
            Map.entry("OAUTH_CLIENT_SECRET_FILE", "clients.default.client-secret-file"),
            Map.entry("OAUTH_SCOPE", "clients.default.scope"),
            Map.entry("OAUTH_AUDIENCE", "clients.default.audience"),
            Map.entry("OAUTH_RESOURCE", "clients.default.resource"),
            Map.entry("OAUTH_AUTH_METHOD", "clients.default.auth-method"),
            Map.entry("OAUTH_REVOCATION_URL", "clients.default.revocation-url"),
            // grants and DPoP
            Map.entry("OAUTH_GRANT", "clients.default.grant"),
            Map.entry("OAUTH_SUBJECT_TOKEN_FILE", "clients.default.subject-token-file"),
            Map.entry("OAUTH_SUBJECT_TOKEN_TYPE", "clients.default.subject-token-type"),
            Map.entry("OAUTH_GRANT_ASSERTION_FILE", "clients.default.grant-assertion-file"),
            Map.entry("OAUTH_USERNAME", "clients.default.username"),
            Map.entry("OAUTH_PASSWORD_FILE", "clients.default.password-file"),
            Map.entry("OAUTH_REFRESH_TOKEN_FILE", "clients.default.refresh-token-file"),
            Map.entry("OAUTH_DPOP", "clients.default.dpop"),
            Map.entry("OAUTH_DPOP_KEY_FILE", "clients.default.dpop-key-file"),
            // client authentication beyond the secret, and discovery
            Map.entry("OAUTH_ISSUER", "clients.default.issuer"),
            Map.entry("OAUTH_ASSERTION_KEY_FILE", "clients.default.assertion-key-file"),
            Map.entry("OAUTH_ASSERTION_KEY_ID", "clients.default.assertion-key-id"),
            Map.entry("OAUTH_TLS_CERT_FILE", "clients.default.tls-cert-file"),
            Map.entry("OAUTH_TLS_KEY_FILE", "clients.default.tls-key-file"),
            Map.entry("OAUTH_TLS_KEYSTORE_FILE", "clients.default.tls-keystore-file"),
            Map.entry("OAUTH_TRUST_FILE", "clients.default.trust-file"),
            Map.entry("TOKENKEEPER_REFRESH_AHEAD", "refresh.ahead"),
            Map.entry("TOKENKEEPER_REFRESH_AHEAD_FRACTION", "refresh.ahead-fraction"),
            Map.entry("TOKENKEEPER_CLOCK_SKEW", "refresh.clock-skew"),
            Map.entry("TOKENKEEPER_JITTER", "refresh.jitter"),
            Map.entry("TOKENKEEPER_STORE", "store.type"),
            Map.entry("TOKENKEEPER_STORE_URL", "store.url"),
            Map.entry("TOKENKEEPER_STORE_PASSWORD", "store.password"),
            Map.entry("TOKENKEEPER_STORE_PASSWORD_FILE", "store.password-file"),
            Map.entry("TOKENKEEPER_SEALING_KEYS", "sealing.keys"),
            Map.entry("TOKENKEEPER_CACHE_MAXIMUM_KEYS", "cache.maximum-keys"),
            Map.entry("TOKENKEEPER_CACHE_IDLE_TIMEOUT", "cache.idle-timeout"),
            // issue 12: a token pair obtained elsewhere, for the OAUTH_* client
            Map.entry("TOKENKEEPER_ACCESS_TOKEN", "clients.default.access-token"),
            Map.entry("TOKENKEEPER_REFRESH_TOKEN", "clients.default.refresh-token"),
            Map.entry("TOKENKEEPER_ACCESS_TOKEN_EXPIRES_AT", "clients.default.access-token-expires-at"));

    /** Variables with these prefixes are ours: an unknown one is most likely a typo. */
    private static final List<String> OWN_PREFIXES = List.of("OAUTH_", "TOKENKEEPER_");

    /** Variables read elsewhere (the local store's directory). */
    private static final Set<String> OTHER_KNOWN = Set.of(LocalFiles.HOME_VARIABLE,
            "TOKENKEEPER_DEBUG"); // issue 12: read by the command line (--debug)

    private final Map<String, String> values;
    private final Map<String, String> origins;
    private final Map<String, String> environment;

    private Settings(Map<String, String> values, Map<String, String> origins, Map<String, String> environment) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values)); // configuration order
        this.origins = Collections.unmodifiableMap(new LinkedHashMap<>(origins));
        this.environment = Map.copyOf(environment);
    }

    /** Settings from {@code file} (if not null) overridden by {@code environment}. */
    public static Settings load(Path file, Map<String, String> environment) {
        Objects.requireNonNull(environment, "environment");
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> origins = new LinkedHashMap<>();
        if (file != null) {
            Map<String, String> inFileOrder = new LinkedHashMap<>();
            Properties p = new Properties() {
                private static final long serialVersionUID = 1L;

                @Override
                public synchronized Object put(Object key, Object value) {
                    // Properties is a hash table: the order of the lines is seen only here
                    inFileOrder.remove(((String) key).trim());
                    inFileOrder.put(((String) key).trim(), ((String) value).trim());
                    return super.put(key, value);
                }
            };
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException e) {
                throw new ConfigurationException("config file " + file + " cannot be read: " + e.getClass().getSimpleName());
            }
            inFileOrder.forEach((name, value) -> {
                values.put(name, value);
                origins.put(name, "file " + file.getFileName());
            });
        }
        for (Map.Entry<String, String> e : new TreeMap<>(environment).entrySet()) { // a stable order: by name
            String key = ENV_NAMES.get(e.getKey());
            if (key == null && e.getKey().startsWith("TOKENKEEPER__")) {
                key = e.getKey().substring("TOKENKEEPER__".length()).toLowerCase(java.util.Locale.ROOT)
                        .replace("__", ".")
                        .replace('_', '-');
            }
            if (key != null && !e.getValue().isBlank()) {
                values.put(key, e.getValue().trim());
                origins.put(key, "environment variable " + e.getKey());
            }
        }
        return new Settings(values, origins, environment);
    }

    /** Settings from a map (tests and embedding code), in the map's order. */
    public static Settings of(Map<String, String> values) {
        return of(values, Map.of(), "setting");
    }

    /**
     * Settings from a map, in the map's order, each from {@code origin} (for messages, e.g. a
     * command-line option), with {@code environment} for the {@code *-env} settings.
     */
    public static Settings of(Map<String, String> values, Map<String, String> environment, String origin) {
        Objects.requireNonNull(origin, "origin");
        Map<String, String> origins = new LinkedHashMap<>();
        values.keySet().forEach(k -> origins.put(k, origin));
        return new Settings(values, origins, Objects.requireNonNull(environment, "environment"));
    }

    /** These settings with {@code key} set to {@code value} (whatever set it before), from {@code origin}. */
    public Settings with(String key, String value, String origin) {
        Map<String, String> v = new LinkedHashMap<>(values);
        Map<String, String> o = new LinkedHashMap<>(origins);
        v.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        o.put(key, Objects.requireNonNull(origin, "origin"));
        return new Settings(v, o, environment);
    }

    /** These settings without {@code keys}. */
    public Settings without(String... keys) {
        Map<String, String> v = new LinkedHashMap<>(values);
        Map<String, String> o = new LinkedHashMap<>(origins);
        for (String k : keys) {
            v.remove(k);
            o.remove(k);
        }
        return new Settings(v, o, environment);
    }

    /** The value of {@code key}, or null. */
    public String get(String key) {
        return values.get(key);
    }

    /** Where {@code key} was set, for messages. */
    public String origin(String key) {
        return origins.getOrDefault(key, "default");
    }

    /** Every setting, in configuration order (a file's lines, then the environment's variables by name). */
    public Map<String, String> all() {
        return values;
    }

    /**
     * These settings with {@code key} set to {@code value} where nothing set it, the origin saying
     * {@code why} (for example the CLI's default store).
     */
    public Settings withDefault(String key, String value, String why) {
        if (values.containsKey(key)) {
            return this;
        }
        Map<String, String> v = new LinkedHashMap<>(values);
        Map<String, String> o = new LinkedHashMap<>(origins);
        v.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        o.put(key, Objects.requireNonNull(why, "why"));
        return new Settings(v, o, environment);
    }

    /**
     * The {@code OAUTH_*} and {@code TOKENKEEPER_*} variables of the environment that configure
     * nothing (not a known name, not {@code TOKENKEEPER__…}, not named by a {@code *-env} setting),
     * each as a sentence naming the variable, never its value, with the closest known name.
     */
    public List<String> unknownVariables() {
        Set<String> referenced = new java.util.HashSet<>();
        values.forEach((k, v) -> {
            if (k.endsWith("-env")) {
                referenced.add(v);
            }
        });
        List<String> known = new java.util.ArrayList<>(ENV_NAMES.keySet());
        known.addAll(OTHER_KNOWN);
        java.util.Collections.sort(known);
        List<String> unknown = new java.util.ArrayList<>();
        for (String name : new TreeMap<>(environment).keySet()) {
            if (OWN_PREFIXES.stream().noneMatch(name::startsWith) || name.startsWith("TOKENKEEPER__")
                    || ENV_NAMES.containsKey(name) || OTHER_KNOWN.contains(name) || referenced.contains(name)) {
                continue;
            }
            String closest = closest(name, known);
            unknown.add("the environment variable " + name + " is not one tokenkeeper reads and is ignored"
                    + (closest == null ? "" : "; did you mean " + closest + "?"));
        }
        return unknown;
    }

    /** The known name nearest to {@code name} by edit distance, if it is near enough to be a typo. */
    private static String closest(String name, List<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(name.toUpperCase(Locale.ROOT), k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(2, name.length() / 4) ? best : null;
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** The environment these settings were read with, for resolving secret references. */
    public Map<String, String> environment() {
        return environment;
    }
}
