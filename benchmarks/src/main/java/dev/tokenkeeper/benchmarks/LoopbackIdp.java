package dev.tokenkeeper.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The token endpoint of the simulations: a JDK HTTP server bound to {@code 127.0.0.1} on a free port
 * that answers every POST with a fresh Bearer token after a fixed latency, or with 503 during a
 * scripted outage window. It counts requests where they arrive, so the figures do not depend on
 * what a library says about itself.
 *
 * <p>Each token's value carries the instant the IdP considers it expired ({@code tkb.<epochMillis>.<n>}),
 * so that the harness can check every token handed to a caller against its real expiry at the moment
 * it was handed out, whatever library handed it out. A token is minted when the answer is sent
 * (after the latency), so its expiry is never earlier than any client's own estimate.
 */
public final class LoopbackIdp implements AutoCloseable {

    static {
        // the JDK server writes headers and body in separate writes: without TCP_NODELAY, Nagle plus
        // delayed ACK can add ~40 ms to an answer on loopback, which would drown the simulated latency
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private static final String PREFIX = "tkb.";
    private static final int MAX_SERVER_THREADS = 96;

    private final HttpServer server;
    private final ExecutorService pool;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong issued = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong sequence = new AtomicLong();
    private volatile long lifetimeSeconds;
    private volatile long latencyMillis;
    private volatile long outageFromMillis = Long.MAX_VALUE;
    private volatile long outageUntilMillis = Long.MIN_VALUE;
    private volatile long newestExpiresAtMillis;

    private LoopbackIdp(long lifetimeSeconds, long latencyMillis) throws IOException {
        this.lifetimeSeconds = lifetimeSeconds;
        this.latencyMillis = latencyMillis;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 512);
        AtomicInteger n = new AtomicInteger();
        pool = Executors.newFixedThreadPool(MAX_SERVER_THREADS, r -> {
            Thread t = new Thread(r, "loopback-idp-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    /** An IdP on a free loopback port issuing tokens of {@code lifetime} (whole seconds) after {@code latency}. */
    public static LoopbackIdp start(Duration lifetime, Duration latency) {
        if (lifetime.toMillis() % 1000 != 0 || lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("lifetime must be whole seconds (expires_in is in seconds): " + lifetime);
        }
        try {
            return new LoopbackIdp(lifetime.toSeconds(), latency.toMillis());
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the loopback IdP", e);
        }
    }

    /** {@code http://127.0.0.1:port/token}. */
    public URI tokenUri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/token");
    }

    /** Changes the answers' latency. */
    public void latency(Duration latency) {
        this.latencyMillis = latency.toMillis();
    }

    /** Answers 503 {@code temporarily_unavailable} to every request arriving in [from, until) (epoch millis). */
    public void outage(long fromEpochMillis, long untilEpochMillis) {
        this.outageFromMillis = fromEpochMillis;
        this.outageUntilMillis = untilEpochMillis;
    }

    /** Zeroes the counters and ends any outage. */
    public void reset() {
        outage(Long.MAX_VALUE, Long.MIN_VALUE);
        requests.set(0);
        issued.set(0);
        refused.set(0);
        newestExpiresAtMillis = 0;
    }

    /** Requests received. */
    public long requests() {
        return requests.get();
    }

    /** Tokens issued. */
    public long issued() {
        return issued.get();
    }

    /** Requests refused by the outage. */
    public long refused() {
        return refused.get();
    }

    /** Requests being answered right now. */
    public int inFlight() {
        return inFlight.get();
    }

    /** The expiry (epoch millis) of the most recently issued token, or 0. */
    public long newestExpiresAtMillis() {
        return newestExpiresAtMillis;
    }

    /**
     * The instant (epoch millis) at which the IdP considers {@code token} expired; accepts the bare
     * value or an {@code Authorization} header value ({@code Bearer tkb...}).
     */
    public static long expiresAtOf(String token) {
        int start = token.indexOf(PREFIX);
        if (start < 0) {
            throw new IllegalArgumentException("not a token of the loopback IdP");
        }
        start += PREFIX.length();
        int end = token.indexOf('.', start);
        return Long.parseLong(token, start, end, 10);
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        inFlight.incrementAndGet();
        try (exchange; InputStream in = exchange.getRequestBody()) {
            in.readNBytes(64 * 1024);
            long latency = latencyMillis;
            if (latency > 0) {
                Thread.sleep(latency);
            }
            long now = System.currentTimeMillis();
            if (now >= outageFromMillis && now < outageUntilMillis) {
                refused.incrementAndGet();
                send(exchange, 503, "{\"error\":\"temporarily_unavailable\"}");
                return;
            }
            long life = lifetimeSeconds;
            long expiresAt = now + life * 1000;
            String token = PREFIX + expiresAt + "." + sequence.incrementAndGet();
            issued.incrementAndGet();
            if (expiresAt > newestExpiresAtMillis) {
                newestExpiresAtMillis = expiresAt;
            }
            send(exchange, 200, "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":" + life + "}");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            inFlight.decrementAndGet();
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
        pool.shutdownNow();
    }
}
