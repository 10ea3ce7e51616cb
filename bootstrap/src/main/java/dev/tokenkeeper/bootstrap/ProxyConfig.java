package dev.tokenkeeper.bootstrap;

import dev.tokenkeeper.domain.ConfigurationException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The injecting proxy's routes, read from the {@code proxy.<route>.*} keys by the same parser as
 * the rest of the configuration (so {@code config check} lists their problems with the others). Each
 * route is a local listener that forwards every request to one upstream with a token of one client.
 *
 * <pre>
 * proxy.orders.listen=9001                        # the local port (binds sidecar.host: loopback rules apply)
 * proxy.orders.upstream=https://api.example/v1    # base URL; the request's path and query are appended
 * proxy.orders.client=orders                      # a configured client: whose token is added
 * proxy.orders.trust-file=/etc/tk/api-ca.pem      # PEM CA certificates for the upstream's TLS; default the JVM's
 * proxy.orders.connect-timeout=5s                 # TCP and TLS to the upstream
 * proxy.orders.timeout=30s                        # the longest silence from the upstream (headers or body)
 * proxy.orders.replay-buffer=64KiB                # bodies up to this size are kept for one replay after a 401
 * proxy.orders.allow-insecure-http=false          # http to a non-loopback upstream is refused unless true
 * </pre>
 *
 * <p>Immutable.
 *
 * @param routes the routes by name, in configuration order; empty when no proxy is configured
 */
public record ProxyConfig(Map<String, Route> routes) {

    /** No route: nothing is proxied. */
    public static final ProxyConfig NONE = new ProxyConfig(Map.of());
    /** A local connect takes microseconds; a remote one that needs more than five seconds is down. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Long enough for a slow API answer, short enough that a hung upstream frees the caller. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** Covers the JSON bodies of ordinary API calls; anything larger is streamed and not replayed. */
    public static final int DEFAULT_REPLAY_BUFFER = 64 * 1024;
    /** The largest replay buffer: each request in flight may hold this much memory. */
    public static final int MAX_REPLAY_BUFFER = 16 * 1024 * 1024;
    /** The settings of one route ({@code proxy.<route>.<setting>}). */
    static final Set<String> ROUTE_SETTINGS = Set.of("listen", "upstream", "client", "trust-file", "connect-timeout",
            "timeout", "replay-buffer", "allow-insecure-http");

    public ProxyConfig {
        routes = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(routes, "routes")));
    }

    /**
     * One route.
     *
     * @param name the route's name (the {@code <route>} of its keys)
     * @param listen the local port (0: any free port)
     * @param upstream the base URL requests are forwarded to, without query or fragment
     * @param client the configured client whose token is added
     * @param trustFile PEM CA certificates trusted for the upstream's TLS, or null for the JVM's
     * @param connectTimeout the longest a TCP and TLS connect to the upstream may take
     * @param timeout the longest the upstream may stay silent while a request is answered
     * @param replayBuffer the largest request body kept so that the request can be replayed once
     *     after a rejected token; a larger body is streamed and not replayed
     */
    public record Route(String name, int listen, URI upstream, String client, Path trustFile, Duration connectTimeout,
            Duration timeout, int replayBuffer) {
        public Route {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(upstream, "upstream");
            Objects.requireNonNull(client, "client");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(timeout, "timeout");
            if (listen < 0 || listen > 65535) {
                throw new ConfigurationException("proxy." + name + ".listen must be 0..65535");
            }
            if (replayBuffer < 0 || replayBuffer > MAX_REPLAY_BUFFER) {
                throw new ConfigurationException("proxy." + name + ".replay-buffer must be 0.." + MAX_REPLAY_BUFFER);
            }
        }

        /** A summary for {@code config check} and the start-up line. */
        public String describe() {
            return "proxy " + name + ": :" + listen + " -> " + upstream + " client=" + client
                    + " trust=" + (trustFile == null ? "jvm" : trustFile)
                    + " connect-timeout=" + shown(connectTimeout) + " timeout=" + shown(timeout)
                    + " replay-buffer=" + replayBuffer;
        }

        private static String shown(Duration d) {
            return d.toString().substring(2).toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The proxy routes alone, read by the same parser as the rest ({@link TokenkeeperConfig#from}
     * reads them too, as {@link TokenkeeperConfig#proxies()}); {@code clients} are the configured
     * client names a route may name.
     *
     * @throws ConfigurationException naming every problem
     */
    public static ProxyConfig from(Settings settings, Set<String> clients) {
        ConfigReader reader = new ConfigReader(Objects.requireNonNull(settings, "settings"));
        ProxyConfig c = reader.proxies(Objects.requireNonNull(clients, "clients"), reader.sidecar());
        reader.throwIfAny();
        return c;
    }

    /** One line per route, for {@code config check}; empty when there is none. */
    public String describe() {
        return routes.values().stream().map(Route::describe).collect(Collectors.joining("\n"));
    }

    /** The setting names of a route, for documentation ({@code proxy.<route>.} followed by one of these). */
    public static Set<String> routeKeys() {
        return ROUTE_SETTINGS;
    }
}
