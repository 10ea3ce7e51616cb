package dev.tokenkeeper.bootstrap;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.Secret;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The sidecar's settings, read from the {@code sidecar.*} keys of the same {@link Settings}, by
 * the same parser, as the rest of the configuration (so {@code TOKENKEEPER__SIDECAR__PORT=9000} works too).
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

    public SidecarConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        allowedHosts = Set.copyOf(Objects.requireNonNull(allowedHosts, "allowedHosts"));
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(headerTimeout, "headerTimeout");
        if (!positiveAndBounded(idleTimeout) || !positiveAndBounded(headerTimeout)) {
            throw new ConfigurationException("the idle and header timeouts must be positive and at most " + MAX_TIMEOUT);
        }
        if (tokenEndpointEnabled && tokenEndpointSecret == null) {
            throw new ConfigurationException("the token endpoint needs a secret");
        }
    }

    /** The defaults: loopback, port {@value #DEFAULT_PORT}, no token endpoint. */
    public static SidecarConfig defaults() {
        return new SidecarConfig(DEFAULT_HOST, DEFAULT_PORT, false, false, null, DEFAULT_SHUTDOWN_GRACE, true,
                Set.of(), DEFAULT_IDLE_TIMEOUT, DEFAULT_HEADER_TIMEOUT);
    }

    /** Whether a non-loopback address is bound, so that other hosts can reach the sidecar. */
    public boolean remotelyReachable() {
        return !ConfigReader.isLoopback(host);
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
     * The sidecar settings alone, read by the same parser as the rest ({@link TokenkeeperConfig#from}
     * reads them too, as {@link TokenkeeperConfig#sidecar()}).
     *
     * @throws ConfigurationException naming every problem
     */
    public static SidecarConfig from(Settings settings) {
        ConfigReader reader = new ConfigReader(Objects.requireNonNull(settings, "settings"));
        SidecarConfig c = reader.sidecar();
        reader.throwIfAny();
        return c;
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

    /** The settings of the sidecar, for documentation. */
    public static Set<String> keys() {
        return ConfigReader.SIDECAR_SETTINGS;
    }
}
