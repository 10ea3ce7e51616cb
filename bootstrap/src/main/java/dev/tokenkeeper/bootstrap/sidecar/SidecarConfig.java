package dev.tokenkeeper.bootstrap.sidecar;

import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.Secret;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The sidecar's settings, read from the {@code sidecar.*} keys of the same {@link Settings} as the
 * rest of the configuration (so {@code TOKENKEEPER__SIDECAR__PORT=9000} works too).
 *
 * <pre>
 * sidecar.host=127.0.0.1                    # loopback by default
 * sidecar.port=8787
 * sidecar.allow-remote-bind=false           # a non-loopback host is refused unless this is true
 * sidecar.token-endpoint.enabled=false      # GET /token/{client}; off by default
 * sidecar.token-endpoint.secret-env=NAME    # the bearer secret callers must present, from a variable
 * sidecar.token-endpoint.secret-file=PATH   # ...or from a file
 * sidecar.shutdown-grace=10s                # how long in-flight requests may finish at shutdown
 * sidecar.keep-warm=true                    # keep every client's token acquired and refreshed
 * sidecar.allowed-hosts=sidecar.internal    # Host header names accepted besides the loopback ones
 * sidecar.idle-timeout=60s                  # a connection with no traffic for this long is closed
 * sidecar.header-timeout=10s                # a request's line and headers must arrive within this
 * </pre>
 *
 * <p>The {@code Host} check defends against DNS rebinding: a web page whose name an attacker
 * re-points at 127.0.0.1 reaches the sidecar with its own name in {@code Host}. Accepted always:
 * {@code localhost}, {@code 127.0.0.1}, {@code ::1}, the bind address, and the IP address the
 * connection arrived on (a literal address involves no DNS, so it cannot be rebound; it is what
 * Kubernetes probes send). {@code sidecar.allowed-hosts} adds names (comma-separated, ports
 * ignored); {@code *} turns the check off.
 *
 * @param host the address to bind
 * @param port the port to bind (0: any free port)
 * @param allowRemoteBind whether a non-loopback {@code host} is accepted
 * @param tokenEndpointEnabled whether {@code GET /token/{client}} is served
 * @param tokenEndpointSecret the bearer secret of the token endpoint, or null when it is off
 * @param shutdownGrace how long in-flight requests may take to finish at shutdown
 * @param keepWarm whether the sidecar asks for every client's token at start and periodically, so
 *     that tokens are held and refreshed even when no local process asks
 * @param allowedHosts the host names accepted in the {@code Host} header besides the loopback names,
 *     the bind address and the connection's local address: lower case, without brackets or port;
 *     {@code *} accepts any
 * @param idleTimeout how long a connection may carry no traffic before it is closed
 * @param headerTimeout how long a request's line and headers may take to arrive, from the moment the
 *     connection opens or its previous response ends
 */
public record SidecarConfig(
        String host,
        int port,
        boolean allowRemoteBind,
        boolean tokenEndpointEnabled,
        Secret tokenEndpointSecret,
        Duration shutdownGrace,
        boolean keepWarm,
        Set<String> allowedHosts,
        Duration idleTimeout,
        Duration headerTimeout) {

    /** Loopback: only processes on this host can reach the sidecar unless told otherwise. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** An unassigned port, unlikely to collide with the application it sits beside. */
    public static final int DEFAULT_PORT = 8787;
    /** Long enough for a token request in flight to finish; short enough for an orchestrator's stop timeout. */
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);
    /** A bearer secret shorter than this is too easy to guess. */
    public static final int MIN_SECRET_LENGTH = 16;
    /** Far longer than any local caller's pause between requests; frees sockets a caller forgot. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    /** A local caller sends its request line and headers in microseconds; ten seconds tolerates a loaded host. */
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
    /** The longest timeout accepted: beyond it a timeout protects nothing. */
    static final Duration MAX_TIMEOUT = Duration.ofHours(1);
    /** The {@code sidecar.allowed-hosts} entry that turns the Host check off. */
    public static final String ANY_HOST = "*";
    /** Host names that always mean this machine. */
    static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "0:0:0:0:0:0:0:1");

    private static final Set<String> KEYS = Set.of("sidecar.host", "sidecar.port", "sidecar.allow-remote-bind",
            "sidecar.token-endpoint.enabled", "sidecar.token-endpoint.secret-env", "sidecar.token-endpoint.secret-file",
            "sidecar.shutdown-grace", "sidecar.keep-warm", "sidecar.allowed-hosts", "sidecar.idle-timeout",
            "sidecar.header-timeout");

    public SidecarConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        allowedHosts = Set.copyOf(Objects.requireNonNull(allowedHosts, "allowedHosts"));
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(headerTimeout, "headerTimeout");
        if (!positiveAndBounded(idleTimeout) || !positiveAndBounded(headerTimeout)) {
            throw new IllegalArgumentException("the idle and header timeouts must be positive and at most " + MAX_TIMEOUT);
        }
        if (tokenEndpointEnabled && tokenEndpointSecret == null) {
            throw new IllegalArgumentException("the token endpoint needs a secret");
        }
    }

    /** The defaults: loopback, port {@value #DEFAULT_PORT}, no token endpoint. */
    public static SidecarConfig defaults() {
        return new SidecarConfig(DEFAULT_HOST, DEFAULT_PORT, false, false, null, DEFAULT_SHUTDOWN_GRACE, true,
                Set.of(), DEFAULT_IDLE_TIMEOUT, DEFAULT_HEADER_TIMEOUT);
    }

    /** Whether a non-loopback address is bound, so that other hosts can reach the sidecar. */
    public boolean remotelyReachable() {
        return !isLoopback(host);
    }

    /**
     * Whether {@code hostHeader} (a {@code Host} value's host part, any case, IPv6 with or without
     * brackets) names this sidecar: a loopback name, the bind address, {@code localAddress} (the
     * address the connection arrived on; may be null) or a {@code sidecar.allowed-hosts} entry.
     */
    public boolean acceptsHost(String hostHeader, String localAddress) {
        if (allowedHosts.contains(ANY_HOST)) {
            return true;
        }
        if (hostHeader == null || hostHeader.isBlank()) {
            return false;
        }
        String h = canonical(hostHeader);
        if (LOOPBACK_NAMES.contains(h) || h.equals(canonical(host)) || (localAddress != null && h.equals(canonical(localAddress)))) {
            return true;
        }
        for (String allowed : allowedHosts) {
            if (h.equals(canonical(allowed))) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@link #normalizeHost}, and an IPv6 literal in its one full form ({@code [::1]} and
     * {@code 0:0:0:0:0:0:0:1} alike). Only text with a colon is parsed, and the JDK parses such text
     * as a literal without asking DNS.
     */
    static String canonical(String host) {
        String h = normalizeHost(host);
        if (h.indexOf(':') >= 0) {
            try {
                return InetAddress.getByName(h).getHostAddress();
            } catch (IOException | RuntimeException notALiteral) {
                return h;
            }
        }
        return h;
    }

    /** Lower case, without IPv6 brackets or a trailing dot. */
    static String normalizeHost(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h;
    }

    private static boolean positiveAndBounded(Duration d) {
        return !d.isNegative() && !d.isZero() && d.compareTo(MAX_TIMEOUT) <= 0;
    }

    /**
     * The tokenkeeper configuration and the sidecar's, validated together: one exception lists the
     * problems of both.
     *
     * @throws ConfigurationException naming every problem
     */
    public static Loaded load(Settings settings) {
        List<String> problems = new ArrayList<>();
        TokenkeeperConfig config = null;
        try {
            config = TokenkeeperConfig.from(settings);
        } catch (ConfigurationException e) {
            problems.addAll(e.problems());
        }
        SidecarConfig sidecar = read(settings, problems);
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }
        return new Loaded(config, sidecar);
    }

    /**
     * The sidecar settings alone.
     *
     * @throws ConfigurationException naming every problem
     */
    public static SidecarConfig from(Settings settings) {
        List<String> problems = new ArrayList<>();
        SidecarConfig c = read(settings, problems);
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }
        return c;
    }

    /**
     * Both configurations.
     *
     * @param config the token configuration
     * @param sidecar the sidecar's
     */
    public record Loaded(TokenkeeperConfig config, SidecarConfig sidecar) {}

    private static SidecarConfig read(Settings s, List<String> problems) {
        for (String key : s.all().keySet()) {
            if (key.startsWith("sidecar.") && !KEYS.contains(key)) {
                problems.add(problem(s, key, "unknown sidecar setting (known: " + new TreeSet<>(KEYS) + ")"));
            }
        }
        String host = s.get("sidecar.host") == null ? DEFAULT_HOST : s.get("sidecar.host");
        boolean allowRemote = bool(s, "sidecar.allow-remote-bind", false, problems);
        if (host.isBlank()) {
            problems.add(problem(s, "sidecar.host", "must not be blank"));
        } else if (!allowRemote && !isLoopback(host)) {
            problems.add(problem(s, "sidecar.host", "'" + host + "' is not a loopback address: the sidecar would "
                    + "answer other hosts; bind 127.0.0.1, or set sidecar.allow-remote-bind=true"));
        }
        int port = DEFAULT_PORT;
        String p = s.get("sidecar.port");
        if (p != null) {
            try {
                port = Integer.parseInt(p);
                if (port < 0 || port > 65535) {
                    problems.add(problem(s, "sidecar.port", "must be 0..65535, was " + p));
                }
            } catch (NumberFormatException e) {
                problems.add(problem(s, "sidecar.port", "must be a port number, was '" + p + "'"));
            }
        }
        boolean enabled = bool(s, "sidecar.token-endpoint.enabled", false, problems);
        Secret secret = enabled ? secret(s, problems) : null;
        Duration grace = DEFAULT_SHUTDOWN_GRACE;
        String g = s.get("sidecar.shutdown-grace");
        if (g != null) {
            try {
                grace = TokenkeeperConfig.parseDuration(g);
                if (grace.isNegative() || grace.compareTo(MAX_TIMEOUT) > 0) {
                    problems.add(problem(s, "sidecar.shutdown-grace", "must be between 0 and 1h, was '" + g + "'"));
                    grace = DEFAULT_SHUTDOWN_GRACE;
                }
            } catch (RuntimeException e) { // IllegalArgumentException, or ArithmeticException on overflow
                problems.add(problem(s, "sidecar.shutdown-grace", "must be a duration such as 10s, was '" + g + "'"));
            }
        }
        boolean keepWarm = bool(s, "sidecar.keep-warm", true, problems);
        Set<String> allowedHosts = allowedHosts(s, problems);
        Duration idle = timeout(s, "sidecar.idle-timeout", DEFAULT_IDLE_TIMEOUT, problems);
        Duration header = timeout(s, "sidecar.header-timeout", DEFAULT_HEADER_TIMEOUT, problems);
        if (enabled && secret == null) {
            return null;
        }
        return new SidecarConfig(host, port, allowRemote, enabled, secret, grace, keepWarm, allowedHosts, idle, header);
    }

    private static Set<String> allowedHosts(Settings s, List<String> problems) {
        String v = s.get("sidecar.allowed-hosts");
        Set<String> hosts = new TreeSet<>();
        if (v == null) {
            return hosts;
        }
        for (String part : v.split(",")) {
            String h = part.strip();
            if (h.isEmpty()) {
                continue;
            }
            if (h.equals(ANY_HOST)) {
                hosts.add(ANY_HOST);
                continue;
            }
            // a port is ignored: the name is what DNS rebinding forges; "[::1]:80" and "host:80" lose it
            if (h.startsWith("[") && h.contains("]")) {
                h = h.substring(0, h.indexOf(']') + 1);
            } else if (h.indexOf(':') == h.lastIndexOf(':') && h.contains(":")) {
                h = h.substring(0, h.indexOf(':'));
            }
            h = normalizeHost(h);
            if (h.isEmpty() || !h.matches("[a-z0-9._:-]+")) {
                problems.add(problem(s, "sidecar.allowed-hosts", "'" + part.strip() + "' is not a host name or address "
                        + "(a comma-separated list of names, or * for any)"));
                continue;
            }
            hosts.add(h);
        }
        return hosts;
    }

    private static Duration timeout(Settings s, String key, Duration fallback, List<String> problems) {
        String v = s.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            Duration d = TokenkeeperConfig.parseDuration(v);
            if (positiveAndBounded(d)) {
                return d;
            }
        } catch (RuntimeException e) {
            // reported below, without the exception's text
        }
        problems.add(problem(s, key, "must be a duration above 0 and at most 1h, such as 10s or 500ms, was '" + v + "'"));
        return fallback;
    }

    private static Secret secret(Settings s, List<String> problems) {
        String env = s.get("sidecar.token-endpoint.secret-env");
        String file = s.get("sidecar.token-endpoint.secret-file");
        if (env == null && file == null) {
            problems.add(problem(s, "sidecar.token-endpoint.secret-env", "required when sidecar.token-endpoint.enabled=true: "
                    + "the name of an environment variable holding the bearer secret callers must present "
                    + "(or sidecar.token-endpoint.secret-file)"));
            return null;
        }
        if (env != null && file != null) {
            problems.add(problem(s, "sidecar.token-endpoint.secret-env", "give only one of secret-env and secret-file"));
            return null;
        }
        String value;
        String key;
        if (env != null) {
            key = "sidecar.token-endpoint.secret-env";
            value = s.environment().get(env);
            if (value == null || value.isBlank()) {
                problems.add(problem(s, key, "the environment variable " + TokenkeeperConfig.shownName(env) + " is not set"));
                return null;
            }
        } else {
            key = "sidecar.token-endpoint.secret-file";
            try {
                value = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
            } catch (IOException | RuntimeException e) {
                problems.add(problem(s, key, "cannot read " + shownPath(file) + " (" + e.getClass().getSimpleName() + ")"));
                return null;
            }
        }
        value = value.strip();
        if (value.length() < MIN_SECRET_LENGTH) {
            problems.add(problem(s, key, "the secret must have at least " + MIN_SECRET_LENGTH + " characters, had "
                    + value.length()));
            return null;
        }
        return Secret.of(value);
    }

    private static String shownPath(String file) {
        try {
            return TokenkeeperConfig.shownPath(file);
        } catch (RuntimeException e) { // not a path at all
            return "(path not shown)";
        }
    }

    private static boolean bool(Settings s, String key, boolean fallback, List<String> problems) {
        String v = s.get(key);
        if (v == null) {
            return fallback;
        }
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        problems.add(problem(s, key, "must be true or false, was '" + v + "'"));
        return fallback;
    }

    private static String problem(Settings s, String key, String message) {
        return key + ": " + message + (s.get(key) != null ? " (from " + s.origin(key) + ")" : "");
    }

    /** Literal loopback addresses and {@code localhost}; any other name is not trusted to be loopback. */
    static boolean isLoopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!h.matches("[0-9.]+") && !h.contains(":")) {
            return false;
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    /** A summary without the secret, for {@code config check} and the start-up line. */
    public String describe() {
        return "sidecar: http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port
                + " token-endpoint=" + (tokenEndpointEnabled ? "on (bearer secret set)" : "off")
                + " keep-warm=" + keepWarm + " shutdown-grace=" + shutdownGrace.toString().substring(2).toLowerCase(Locale.ROOT)
                + " allowed-hosts=" + (allowedHosts.contains(ANY_HOST) ? "any (Host check off)"
                        : "loopback names, " + (host.contains(":") ? "[" + host + "]" : host) + ", the local address"
                                + (allowedHosts.isEmpty() ? "" : ", " + String.join(", ", new TreeSet<>(allowedHosts))))
                + " idle-timeout=" + idleTimeout.toString().substring(2).toLowerCase(Locale.ROOT)
                + " header-timeout=" + headerTimeout.toString().substring(2).toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return "SidecarConfig[" + describe() + "]";
    }

    /** The settings this class reads, for documentation. */
    public static Set<String> keys() {
        return KEYS;
    }
}
