package dev.tokenkeeper.integration.tck;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A resource server on loopback that checks Bearer tokens, for the contract kit: the JDK's own
 * HTTP server, one origin ({@code http://127.0.0.1:port}) per instance. A token is accepted if the
 * {@code valid} predicate (the IdP issued it) says so and it was not {@link #revoke revoked}.
 *
 * <ul>
 *   <li>{@code /api/…} (any method): 200 with {@code ok <body>} for a good token; 401 with
 *       {@code WWW-Authenticate: Bearer error="invalid_token"} for a bad one, a bare
 *       {@code Bearer realm="api"} challenge without one;</li>
 *   <li>{@code /admin}: 403 {@code insufficient_scope} for a good token;</li>
 *   <li>{@code /hop?to=<uri>}: 302 to {@code uri};</li>
 *   <li>{@code /collect}: 200 whatever it carries; {@code /deny}: a bare 401.</li>
 * </ul>
 * Every request is recorded with its path and {@code Authorization} header. Thread-safe.
 */
public final class ResourceServer implements AutoCloseable {

    /** One request as it arrived. */
    public record Seen(String method, String path, String authorization, String body) {
        @Override
        public String toString() { // the header is a token: never shown
            return "Seen[" + method + " " + path + ", authorization=" + (authorization == null ? "none" : "present") + "]";
        }
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final Predicate<String> valid;
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private volatile boolean rejectEverything;
    private volatile CountDownLatch holdRejections;

    private ResourceServer(Predicate<String> valid) throws IOException {
        this.valid = valid;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/", this::handle);
        server.setExecutor(threads);
        server.start();
    }

    /** Starts one on a free loopback port; {@code valid} says which tokens the IdP issued. */
    public static ResourceServer start(Predicate<String> valid) throws IOException {
        return new ResourceServer(valid);
    }

    /** {@code http://127.0.0.1:port} followed by {@code pathAndQuery}. */
    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + pathAndQuery);
    }

    /** From now on {@code token} is refused (the IdP revoked it). */
    public void revoke(String token) {
        revoked.add(token);
    }

    /** Whether every token is refused, however fresh. */
    public void rejectEverything(boolean reject) {
        this.rejectEverything = reject;
    }

    /**
     * Holds each 401 for a bad token until {@code count} of them have arrived, so that that many
     * rejections are provably concurrent.
     */
    public void holdRejectionsUntil(int count) {
        this.holdRejections = new CountDownLatch(count);
    }

    /** Every request so far, oldest first. */
    public List<Seen> seen() {
        return List.copyOf(seen);
    }

    /** The requests to {@code path} so far. */
    public List<Seen> seen(String path) {
        return seen.stream().filter(s -> s.path().equals(path)).toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            String path = exchange.getRequestURI().getPath();
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            seen.add(new Seen(exchange.getRequestMethod(), path, authorization, body));
            if (path.equals("/hop")) {
                String query = exchange.getRequestURI().getRawQuery();
                String to = java.net.URLDecoder.decode(query.substring("to=".length()), StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Location", to);
                reply(exchange, 302, "");
                return;
            }
            if (path.equals("/collect")) {
                reply(exchange, 200, "collected");
                return;
            }
            if (path.equals("/deny")) {
                exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"other\"");
                reply(exchange, 401, "");
                return;
            }
            if (authorization == null || !authorization.startsWith("Bearer ")) {
                exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"api\"");
                reply(exchange, 401, "");
                return;
            }
            String token = authorization.substring("Bearer ".length());
            if (rejectEverything || revoked.contains(token) || !valid.test(token)) {
                CountDownLatch hold = holdRejections;
                if (hold != null) {
                    hold.countDown();
                    // real time: the other clients' requests are on their way over real sockets; bounded
                    hold.await(20, TimeUnit.SECONDS);
                }
                exchange.getResponseHeaders().add("WWW-Authenticate",
                        "Bearer realm=\"api\", error=\"invalid_token\", error_description=\"the token was revoked\"");
                reply(exchange, 401, "");
                return;
            }
            if (path.equals("/admin")) {
                exchange.getResponseHeaders().add("WWW-Authenticate",
                        "Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"admin\"");
                reply(exchange, 403, "");
                return;
            }
            reply(exchange, 200, "ok " + body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
