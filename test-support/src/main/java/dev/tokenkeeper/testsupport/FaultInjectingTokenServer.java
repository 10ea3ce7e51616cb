package dev.tokenkeeper.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A scriptable OAuth 2.0 token endpoint on loopback for tests: a JDK {@code com.sun.net.httpserver}
 * bound to {@code 127.0.0.1} on a free port, whose answers are scripted one by one
 * ({@link #respondWith}) or for good ({@link #alwaysRespond}, {@link #issueTokens}). A scripted
 * answer may be any status, headers and body, may come late or never, may stream a body larger
 * than any client should accept, or may drop the connection. Every path is served the same way.
 * The server counts requests and records each one's headers and form body.
 *
 * <pre>{@code
 * try (FaultInjectingTokenServer idp = FaultInjectingTokenServer.start()) {
 *     idp.respondWith(Response.json(503, "{\"error\":\"temporarily_unavailable\"}").withHeader("Retry-After", "2"))
 *        .issueTokens(Duration.ofMinutes(5));
 *     ... call idp.tokenUri() ...
 *     assertThat(idp.requestCount()).isEqualTo(2);
 * }
 * }</pre>
 *
 * <p>Thread-safe: requests are served concurrently, and scripting while requests run is allowed.
 * Every wait it does is bounded; {@link #close()} releases hanging answers at once.
 */
public final class FaultInjectingTokenServer implements AutoCloseable {

    /** The longest a {@link Response#hang()} holds a request when the server is not closed first. */
    public static final Duration MAX_HANG = Duration.ofSeconds(60);

    private final HttpServer server;
    private final ExecutorService executor;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Deque<Response> script = new ArrayDeque<>();
    private final List<RecordedRequest> requests = Collections.synchronizedList(new ArrayList<>());
    private final List<String> issuedTokens = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger count = new AtomicInteger();
    private final AtomicLong tokenCounter = new AtomicLong();
    private Response fallback = Response.json(500, "{\"error\":\"server_error\",\"error_description\":\"nothing scripted\"}");
    private volatile String acceptedSecret;

    private FaultInjectingTokenServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 50);
        executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fault-injecting-token-server");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    /** Starts a server on {@code 127.0.0.1} on a free port. Until scripted, it answers 500. */
    public static FaultInjectingTokenServer start() {
        try {
            FaultInjectingTokenServer s = new FaultInjectingTokenServer();
            s.server.start();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the fault-injecting token server", e);
        }
    }

    /** The port it listens on. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:port/token}. */
    public URI tokenUri() {
        return uri("/token");
    }

    /** {@code http://127.0.0.1:port} followed by {@code path}; every path is answered the same way. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + (path.startsWith("/") ? path : "/" + path));
    }

    /** Queues answers, each used for one request, in order, before the {@link #alwaysRespond fallback}. */
    public synchronized FaultInjectingTokenServer respondWith(Response... responses) {
        for (Response r : responses) {
            script.addLast(Objects.requireNonNull(r, "response"));
        }
        return this;
    }

    /** The answer for every request once the queued ones are used up. */
    public synchronized FaultInjectingTokenServer alwaysRespond(Response response) {
        fallback = Objects.requireNonNull(response, "response");
        return this;
    }

    /**
     * Answers every request (after the queued ones) with a valid Bearer token response carrying a
     * fresh, unique token and {@code expires_in} of {@code lifetime}.
     */
    public FaultInjectingTokenServer issueTokens(Duration lifetime) {
        return alwaysRespond(Response.tokens(lifetime));
    }

    /**
     * From now on, answers {@code 401 invalid_client} (without using the script) to every request
     * whose client secret, from {@code client_secret_basic} or {@code client_secret_post}, is not
     * {@code secret}; null accepts any secret again. For secret rotation tests.
     */
    public FaultInjectingTokenServer acceptOnlyClientSecret(String secret) {
        acceptedSecret = secret;
        return this;
    }

    /** The client secret a request carried (Basic or form), or null. */
    public static String clientSecretOf(RecordedRequest request) {
        String auth = request.header("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Basic ", 0, 6)) {
            String pair = new String(java.util.Base64.getDecoder().decode(auth.substring(6).strip()), StandardCharsets.UTF_8);
            int colon = pair.indexOf(':');
            return colon < 0 ? null : URLDecoder.decode(pair.substring(colon + 1), StandardCharsets.UTF_8);
        }
        return request.form().get("client_secret");
    }

    private boolean rejectsClient(RecordedRequest request) {
        String accepted = acceptedSecret;
        return accepted != null && !accepted.equals(clientSecretOf(request));
    }

    private static Response invalidClient() {
        return Response.json(401, "{\"error\":\"invalid_client\",\"error_description\":\"client authentication failed\"}")
                .withHeader("WWW-Authenticate", "Basic realm=\"test\"");
    }

    /**
     * Forgets the script, the recorded requests, the count and any {@link #acceptOnlyClientSecret}; the
     * fallback becomes the 500 again.
     */
    public synchronized void reset() {
        script.clear();
        requests.clear();
        issuedTokens.clear();
        count.set(0);
        acceptedSecret = null;
        fallback = Response.json(500, "{\"error\":\"server_error\",\"error_description\":\"nothing scripted\"}");
    }

    /** How many requests arrived (including those answered by a hang or a dropped connection). */
    public int requestCount() {
        return count.get();
    }

    /** The last request received, or null if none. */
    public RecordedRequest lastRequest() {
        synchronized (requests) {
            return requests.isEmpty() ? null : requests.get(requests.size() - 1);
        }
    }

    /** Every request received, oldest first. */
    public List<RecordedRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** Every access token this server handed out through {@link Response#tokens}, oldest first. */
    public List<String> issuedTokens() {
        synchronized (issuedTokens) {
            return List.copyOf(issuedTokens);
        }
    }

    /** Stops the server, releasing any hanging answer. Idempotent. */
    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
        executor.shutdownNow();
    }

    private synchronized Response next() {
        Response r = script.pollFirst();
        return r != null ? r : fallback;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            count.incrementAndGet();
            RecordedRequest recorded = record(exchange);
            requests.add(recorded);
            Response r = rejectsClient(recorded) ? invalidClient() : next();
            if (!r.delay.isZero() && closed.await(r.delay.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
            switch (r.behaviour) {
                case HANG -> closed.await(MAX_HANG.toMillis(), TimeUnit.MILLISECONDS);
                case DROP -> {
                    // closing an exchange before its headers are sent closes the connection
                }
                case TOKENS -> send(exchange, r.withBody(tokenJson(r.lifetime)));
                case NORMAL -> send(exchange, r);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away: expected in many fault scenarios
        }
    }

    private String tokenJson(Duration lifetime) {
        String token = "fit-" + tokenCounter.incrementAndGet() + "-" + UUID.randomUUID();
        issuedTokens.add(token);
        return "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":" + lifetime.toSeconds()
                + "}";
    }

    private static void send(HttpExchange exchange, Response r) throws IOException {
        r.headers.forEach((name, values) -> exchange.getResponseHeaders().put(name, values));
        if (r.streamedBytes > 0) {
            exchange.sendResponseHeaders(r.status, 0); // 0: chunked, no Content-Length
            OutputStream out = exchange.getResponseBody();
            byte[] chunk = new byte[8192];
            Arrays.fill(chunk, (byte) 'a');
            byte[] head = "{\"access_token\":\"".getBytes(StandardCharsets.US_ASCII);
            out.write(head);
            long left = r.streamedBytes - head.length;
            while (left > 0) {
                int n = (int) Math.min(chunk.length, left);
                out.write(chunk, 0, n);
                out.flush();
                left -= n;
            }
            return;
        }
        byte[] body = r.body.getBytes(StandardCharsets.UTF_8);
        if (r.dropAfterHeaders) {
            exchange.sendResponseHeaders(r.status, body.length + 100L);
            exchange.getResponseBody().write(body, 0, body.length / 2);
            exchange.getResponseBody().flush();
            return; // closing with bytes missing makes the server drop the connection
        }
        exchange.sendResponseHeaders(r.status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
    }

    private static RecordedRequest record(HttpExchange exchange) throws IOException {
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k, List.copyOf(v)));
        String body;
        try (InputStream in = exchange.getRequestBody()) {
            body = new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8);
        }
        URI uri = exchange.getRequestURI();
        return new RecordedRequest(exchange.getRequestMethod(), uri.getPath(), uri.getRawQuery(),
                Collections.unmodifiableMap(headers), body);
    }

    private enum Behaviour {
        NORMAL,
        TOKENS,
        HANG,
        DROP
    }

    /**
     * One scripted answer. Immutable; the {@code with…} methods return a changed copy.
     */
    public static final class Response {
        private final Behaviour behaviour;
        private final int status;
        private final Map<String, List<String>> headers;
        private final String body;
        private final Duration delay;
        private final Duration lifetime;
        private final long streamedBytes;
        private final boolean dropAfterHeaders;

        private Response(Behaviour behaviour, int status, Map<String, List<String>> headers, String body,
                Duration delay, Duration lifetime, long streamedBytes, boolean dropAfterHeaders) {
            this.behaviour = behaviour;
            this.status = status;
            this.headers = headers;
            this.body = body;
            this.delay = delay;
            this.lifetime = lifetime;
            this.streamedBytes = streamedBytes;
            this.dropAfterHeaders = dropAfterHeaders;
        }

        /** An answer with {@code status} and no body. */
        public static Response status(int status) {
            return new Response(Behaviour.NORMAL, status, Map.of(), "", Duration.ZERO, null, 0, false);
        }

        /** An answer with {@code status} and a JSON body (Content-Type application/json). */
        public static Response json(int status, String body) {
            return status(status).withHeader("Content-Type", "application/json").withBody(body);
        }

        /** A valid Bearer token response with a fresh unique token each time it is used. */
        public static Response tokens(Duration lifetime) {
            Objects.requireNonNull(lifetime, "lifetime");
            return new Response(Behaviour.TOKENS, 200, Map.of("Content-Type", List.of("application/json")), "",
                    Duration.ZERO, lifetime, 0, false);
        }

        /** Never answers: holds the request until the server closes (at most {@link #MAX_HANG}). */
        public static Response hang() {
            return new Response(Behaviour.HANG, 0, Map.of(), "", Duration.ZERO, null, 0, false);
        }

        /** Closes the connection without answering. */
        public static Response dropConnection() {
            return new Response(Behaviour.DROP, 0, Map.of(), "", Duration.ZERO, null, 0, false);
        }

        /**
         * A 200 answer whose chunked body (no Content-Length) is {@code bytes} long: the start of a
         * JSON token response followed by filler. For testing response-size limits.
         */
        public static Response oversizedBody(long bytes) {
            if (bytes < 32) {
                throw new IllegalArgumentException("bytes must be at least 32, was " + bytes);
            }
            return new Response(Behaviour.NORMAL, 200, Map.of("Content-Type", List.of("application/json")), "",
                    Duration.ZERO, null, bytes, false);
        }

        /** This answer with one more header value. */
        public Response withHeader(String name, String value) {
            Map<String, List<String>> copy = new LinkedHashMap<>(headers);
            List<String> values = new ArrayList<>(copy.getOrDefault(name, List.of()));
            values.add(value);
            copy.put(name, List.copyOf(values));
            return new Response(behaviour, status, Collections.unmodifiableMap(copy), body, delay, lifetime,
                    streamedBytes, dropAfterHeaders);
        }

        /** This answer with {@code body} (UTF-8, sent with a Content-Length). */
        public Response withBody(String body) {
            return new Response(behaviour == Behaviour.TOKENS ? Behaviour.NORMAL : behaviour, status, headers,
                    Objects.requireNonNull(body, "body"), delay, lifetime, streamedBytes, dropAfterHeaders);
        }

        /** This answer, sent only after {@code delay}. */
        public Response withDelay(Duration delay) {
            return new Response(behaviour, status, headers, body, Objects.requireNonNull(delay, "delay"), lifetime,
                    streamedBytes, dropAfterHeaders);
        }

        /** This answer's headers and half its body, then the connection drops. */
        public Response droppingMidBody() {
            return new Response(behaviour, status, headers, body, delay, lifetime, streamedBytes, true);
        }

        @Override
        public String toString() {
            return "Response[" + behaviour + ", status=" + status + ", delay=" + delay + "]";
        }
    }

    /**
     * A request as the server received it.
     *
     * @param method the HTTP method
     * @param path the path
     * @param rawQuery the query string, or null
     * @param headers the headers, names case-insensitive
     * @param body the body, as UTF-8 text
     */
    public record RecordedRequest(
            String method, String path, String rawQuery, Map<String, List<String>> headers, String body) {

        /** The first value of header {@code name}, or null. */
        public String header(String name) {
            List<String> values = headers.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        /** The body decoded as {@code application/x-www-form-urlencoded}; the last value of a repeated name wins. */
        public Map<String, String> form() {
            Map<String, String> form = new LinkedHashMap<>();
            if (body.isEmpty()) {
                return form;
            }
            for (String pair : body.split("&")) {
                int eq = pair.indexOf('=');
                String name = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : pair.substring(eq + 1);
                form.put(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
            }
            return form;
        }
    }
}
