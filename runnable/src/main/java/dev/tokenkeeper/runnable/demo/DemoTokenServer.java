package dev.tokenkeeper.runnable.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny OAuth 2.0 token endpoint on loopback for the demo: it checks the client's Basic
 * credentials, waits a realistic latency, and issues a fresh random token of a fixed lifetime; it
 * can be told to answer 503 for a while, as an IdP outage. It counts what it answered.
 * Thread-safe; bound to 127.0.0.1 only.
 */
public final class DemoTokenServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService workers;
    private final String expectedAuthorization;
    private final long lifetimeSeconds;
    private final Duration latency;
    private final SecureRandom random = new SecureRandom();
    private final AtomicInteger issued = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private volatile boolean down;

    private DemoTokenServer(HttpServer server, ExecutorService workers, String clientId, String clientSecret,
            Duration lifetime, Duration latency) {
        this.server = server;
        this.workers = workers;
        this.expectedAuthorization = "Basic " + Base64.getEncoder()
                .encodeToString((clientId + ":" + clientSecret).getBytes(StandardCharsets.UTF_8));
        this.lifetimeSeconds = lifetime.toSeconds();
        this.latency = latency;
    }

    /** Starts a server on a free loopback port. */
    public static DemoTokenServer start(String clientId, String clientSecret, Duration lifetime, Duration latency)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        ExecutorService workers = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "demo-idp");
            t.setDaemon(true);
            return t;
        });
        DemoTokenServer demo = new DemoTokenServer(server, workers, clientId, clientSecret, lifetime, latency);
        server.createContext("/token", demo::handle);
        server.setExecutor(workers);
        server.start();
        return demo;
    }

    /** The token endpoint's URL. */
    public URI tokenUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/token");
    }

    /** Makes the server answer 503 (true) or serve again (false). */
    public void down(boolean down) {
        this.down = down;
    }

    /** Tokens issued so far. */
    public int issued() {
        return issued.get();
    }

    /** Requests refused with 503 during an outage. */
    public int refused() {
        return refused.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getRequestBody().readAllBytes();
            try {
                Thread.sleep(latency.toMillis()); // an IdP is a network hop away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (down) {
                refused.incrementAndGet();
                send(exchange, 503, "{\"error\":\"temporarily_unavailable\"}");
                return;
            }
            if (!"POST".equals(exchange.getRequestMethod())
                    || !expectedAuthorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                send(exchange, 401, "{\"error\":\"invalid_client\"}");
                return;
            }
            byte[] raw = new byte[24];
            random.nextBytes(raw);
            String token = "demo-" + issued.incrementAndGet() + "-" + HexFormat.of().formatHex(raw);
            send(exchange, 200, "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":"
                    + lifetimeSeconds + "}");
        }
    }

    private static void send(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        workers.shutdownNow();
    }
}
