package dev.tokenkeeper.fakeidp;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fake OAuth 2.0 token endpoint on loopback: a Vert.x HTTP server bound to {@code 127.0.0.1} on a
 * free port, the one the tests, the demo and the benchmarks share. Every path and method is
 * answered the same way.
 *
 * <p>What it answers:
 * <ul>
 *   <li>scripted answers, one per request ({@link #respondWith}), then a fallback for good
 *       ({@link #alwaysRespond}, {@link #issueTokens}); until scripted, 500. An answer may be any
 *       status, headers and body (429 with {@code Retry-After}: {@link Response#rateLimited}), may
 *       come late or never, may stream a body larger than any client should accept, or may drop
 *       the connection;</li>
 *   <li>fresh tokens of a lifetime ({@link Response#tokens}), optionally with rotating refresh
 *       tokens ({@link Response#tokensWithRefresh}): each refresh token is good for one
 *       {@code refresh_token} grant, any other is answered {@code 400 invalid_grant};</li>
 *   <li>a latency added to every answer ({@link #latency}), an outage window or switch during which
 *       every request is answered {@code 503 temporarily_unavailable} ({@link #outage}, {@link #down}),
 *       and a client check that answers {@code 401 invalid_client} to the wrong credentials
 *       ({@link #acceptOnlyClientSecret}, {@link #acceptOnlyClient}).</li>
 * </ul>
 *
 * <p>What it counts, where requests arrive, so that figures do not depend on what a client says
 * about itself: requests (each recorded with its headers and form body), tokens issued, requests
 * refused by an outage, requests being answered right now. Each access token carries the instant
 * the IdP considers it expired ({@link #expiresAtOf}), minted when the answer is sent, so a harness
 * can check any token handed to a caller against its real expiry.
 *
 * <pre>{@code
 * try (FakeIdp idp = FakeIdp.start()) {
 *     idp.respondWith(Response.rateLimited(Duration.ofSeconds(2)))
 *        .issueTokens(Duration.ofMinutes(5));
 *     ... call idp.tokenUri() ...
 *     assertThat(idp.requestCount()).isEqualTo(2);
 * }
 * }</pre>
 *
 * <p>Thread-safe: requests are served concurrently on event-loop threads (a latency or a delay is a
 * timer, never a blocked thread), and scripting while requests run is allowed. A hanging answer is
 * held at most {@link #MAX_HANG}; {@link #close()} drops it at once.
 */
public final class FakeIdp implements AutoCloseable {

    /** The longest a {@link Response#hang()} holds a request when the server is not closed first. */
    public static final Duration MAX_HANG = Duration.ofSeconds(60);

    private static final String TOKEN_PREFIX = "fit-";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_RECORDED_BODY = 1 << 20;
    private static final Response NOTHING_SCRIPTED =
            Response.error(500, "server_error", "nothing scripted");

    private final Vertx vertx;
    private final boolean ownsVertx;
    private final HttpServer server;
    private final Deque<Response> script = new ArrayDeque<>();
    private Response fallback = NOTHING_SCRIPTED;
    private final List<RecordedRequest> requests = Collections.synchronizedList(new ArrayList<>());
    private final List<String> issuedTokens = Collections.synchronizedList(new ArrayList<>());
    private final List<String> issuedRefreshTokens = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> unusedRefreshTokens = ConcurrentHashMap.newKeySet();
    private final AtomicInteger requestCount = new AtomicInteger();
    private final AtomicInteger issued = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile long latencyMillis;
    private volatile long outageFromMillis = Long.MAX_VALUE;
    private volatile long outageUntilMillis = Long.MIN_VALUE;
    private volatile long newestExpiresAtMillis;
    private volatile String acceptedClientId;
    private volatile String acceptedSecret;
    private volatile boolean bindsDpop;
    /** The DPoP proof each DPoP-bound token was requested with (what binds it: the proof's key). */
    private final Map<String, String> dpopProofs = new java.util.concurrent.ConcurrentHashMap<>();

    private FakeIdp(Vertx vertx, boolean ownsVertx) {
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
        this.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0).setTcpNoDelay(true)
                        // HTTP/1.1 only, as token endpoints are addressed; no h2c upgrade under a client
                        .setHttp2ClearTextEnabled(false))
                .requestHandler(this::handle);
    }

    /** Starts a server on {@code 127.0.0.1} on a free port, on a Vert.x of its own. Until scripted, it answers 500. */
    public static FakeIdp start() {
        return start(Vertx.vertx(), true);
    }

    /**
     * Starts a server on {@code 127.0.0.1} on a free port, on the caller's {@code vertx} (so that a
     * process runs one Vert.x), which {@link #close()} leaves open. Until scripted, it answers 500.
     */
    public static FakeIdp start(Vertx vertx) {
        return start(Objects.requireNonNull(vertx, "vertx"), false);
    }

    private static FakeIdp start(Vertx vertx, boolean owns) {
        FakeIdp idp = new FakeIdp(vertx, owns);
        try {
            await(idp.server.listen());
            return idp;
        } catch (RuntimeException e) {
            idp.close();
            throw new IllegalStateException("could not start the fake IdP", e);
        }
    }

    /** The port it listens on. */
    public int port() {
        return server.actualPort();
    }

    /** {@code http://127.0.0.1:port/token}. */
    public URI tokenUri() {
        return uri("/token");
    }

    /** {@code http://127.0.0.1:port} followed by {@code path}; every path is answered the same way. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + (path.startsWith("/") ? path : "/" + path));
    }

    // ------------------------------------------------------------------ scripting

    /** Queues answers, each used for one request, in order, before the {@link #alwaysRespond fallback}. */
    public synchronized FakeIdp respondWith(Response... responses) {
        for (Response r : responses) {
            script.addLast(Objects.requireNonNull(r, "response"));
        }
        return this;
    }

    /** The answer for every request once the queued ones are used up. */
    public synchronized FakeIdp alwaysRespond(Response response) {
        fallback = Objects.requireNonNull(response, "response");
        return this;
    }

    /**
     * Answers every request (after the queued ones) with a valid Bearer token response carrying a
     * fresh, unique token and {@code expires_in} of {@code lifetime}.
     */
    public FakeIdp issueTokens(Duration lifetime) {
        return alwaysRespond(Response.tokens(lifetime));
    }

    /** Waits {@code latency} before answering each request, whatever the answer: an IdP is a network hop away. */
    public FakeIdp latency(Duration latency) {
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency must not be negative: " + latency);
        }
        this.latencyMillis = latency.toMillis();
        return this;
    }

    /**
     * Answers {@code 503 temporarily_unavailable} (without using the script) to every request whose
     * answer is due in [from, until) (epoch millis, after the {@link #latency}).
     */
    public FakeIdp outage(long fromEpochMillis, long untilEpochMillis) {
        this.outageFromMillis = fromEpochMillis;
        this.outageUntilMillis = untilEpochMillis;
        return this;
    }

    /** Starts (true) or ends (false) an outage of open end: {@link #outage} from now on, or none. */
    public FakeIdp down(boolean down) {
        return down ? outage(Long.MIN_VALUE, Long.MAX_VALUE) : outage(Long.MAX_VALUE, Long.MIN_VALUE);
    }

    /**
     * From now on, answers {@code 401 invalid_client} (without using the script) to every request
     * whose client secret, from {@code client_secret_basic} or {@code client_secret_post}, is not
     * {@code secret}; null accepts any secret again. For secret rotation tests.
     */
    public FakeIdp acceptOnlyClientSecret(String secret) {
        acceptedClientId = null;
        acceptedSecret = secret;
        return this;
    }

    /**
     * From now on, answers {@code 401 invalid_client} (without using the script) to every request
     * whose client id or secret (Basic or form) is not {@code clientId} and {@code secret}.
     */
    public FakeIdp acceptOnlyClient(String clientId, String secret) {
        acceptedClientId = Objects.requireNonNull(clientId, "clientId");
        acceptedSecret = Objects.requireNonNull(secret, "secret");
        return this;
    }

    /**
     * Back to how it started: forgets the script, the fallback (500 again), the latency, any outage,
     * any client check, every refresh token, and zeroes the counts ({@link #resetCounts}).
     */
    public synchronized void reset() {
        script.clear();
        fallback = NOTHING_SCRIPTED;
        latencyMillis = 0;
        acceptedClientId = null;
        acceptedSecret = null;
        bindsDpop = false;
        unusedRefreshTokens.clear();
        resetCounts();
    }

    /**
     * Zeroes the counts and forgets the recorded requests and issued tokens, and ends any outage;
     * keeps the script, the fallback, the latency and the client check. Between benchmark runs.
     */
    public void resetCounts() {
        down(false);
        requests.clear();
        issuedTokens.clear();
        dpopProofs.clear();
        issuedRefreshTokens.clear();
        requestCount.set(0);
        issued.set(0);
        refused.set(0);
        newestExpiresAtMillis = 0;
    }

    // ------------------------------------------------------------------ what it saw

    /** How many requests arrived (including those answered by a hang, a dropped connection or an outage). */
    public int requestCount() {
        return requestCount.get();
    }

    /** Access tokens issued. */
    public int issued() {
        return issued.get();
    }

    /** Requests refused with 503 by an {@link #outage}. */
    public int refused() {
        return refused.get();
    }

    /** Requests being answered right now (arrived, not yet answered or dropped). */
    public int inFlight() {
        return inFlight.get();
    }

    /** The expiry (epoch millis) of the most recently issued token, or 0. */
    public long newestExpiresAtMillis() {
        return newestExpiresAtMillis;
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

    /**
     * Whether a token request that carries a {@code DPoP} proof gets a DPoP-bound token
     * ({@code token_type} {@code DPoP}), as a server supporting RFC 9449 answers; default false
     * (Bearer whatever the request). The proof is not checked here; it is recorded
     * ({@link #dpopProofOf}) so that a resource server can check the binding to its key.
     */
    public FakeIdp bindDpopTokens(boolean binds) {
        this.bindsDpop = binds;
        return this;
    }

    /** The {@code DPoP} proof the DPoP-bound {@code token} was requested with, or null if it is not one of those. */
    public String dpopProofOf(String token) {
        return token == null ? null : dpopProofs.get(token);
    }

    /** Every refresh token this server handed out through {@link Response#tokensWithRefresh}, oldest first. */
    public List<String> issuedRefreshTokens() {
        synchronized (issuedRefreshTokens) {
            return List.copyOf(issuedRefreshTokens);
        }
    }

    /** The client secret a request carried (Basic or form), or null. */
    public static String clientSecretOf(RecordedRequest request) {
        String[] basic = basicCredentials(request);
        return basic != null ? basic[1] : request.form().get("client_secret");
    }

    /** The client id a request carried (Basic or form), or null. */
    public static String clientIdOf(RecordedRequest request) {
        String[] basic = basicCredentials(request);
        return basic != null ? basic[0] : request.form().get("client_id");
    }

    /**
     * The instant (epoch millis) at which the IdP considers {@code token} expired; accepts the bare
     * value or an {@code Authorization} header value ({@code Bearer fit-...}).
     *
     * @throws IllegalArgumentException if it is not an access token of this IdP
     */
    public static long expiresAtOf(String token) {
        int start = token.indexOf(TOKEN_PREFIX);
        int dot = start < 0 ? -1 : token.indexOf('.', start);
        if (dot < 0) {
            throw new IllegalArgumentException("not an access token of the fake IdP");
        }
        int end = dot + 1;
        while (end < token.length() && Character.isDigit(token.charAt(end))) {
            end++;
        }
        return Long.parseLong(token, dot + 1, end, 10);
    }

    /** Stops the server, dropping any hanging answer, and its Vert.x if it has its own. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            await(server.close());
        } finally {
            if (ownsVertx) {
                await(vertx.close());
            }
        }
    }

    // ------------------------------------------------------------------ serving

    private synchronized Response next() {
        Response r = script.pollFirst();
        return r != null ? r : fallback;
    }

    private void handle(HttpServerRequest req) {
        requestCount.incrementAndGet();
        inFlight.incrementAndGet();
        AtomicBoolean answered = new AtomicBoolean();
        Runnable done = () -> {
            if (answered.compareAndSet(false, true)) {
                inFlight.decrementAndGet();
            }
        };
        HttpServerResponse resp = req.response();
        resp.endHandler(v -> done.run());
        resp.closeHandler(v -> done.run());
        resp.exceptionHandler(e -> done.run()); // the client went away: expected in many fault scenarios
        req.body().onComplete(body -> {
            if (body.failed()) {
                done.run();
                return;
            }
            RecordedRequest recorded = record(req, body.result());
            requests.add(recorded);
            after(latencyMillis, () -> answer(req, recorded, done));
        });
    }

    private void answer(HttpServerRequest req, RecordedRequest recorded, Runnable done) {
        long now = System.currentTimeMillis();
        if (now >= outageFromMillis && now < outageUntilMillis) {
            refused.incrementAndGet();
            send(req, Response.error(503, "temporarily_unavailable", null), done);
            return;
        }
        Response r = rejectsClient(recorded) ? invalidClient() : next();
        after(r.delay.toMillis(), () -> {
            switch (r.behaviour) {
                case HANG -> vertx.setTimer(MAX_HANG.toMillis(), id -> drop(req, done));
                case DROP -> drop(req, done);
                case TOKENS -> send(req, tokens(r, recorded), done);
                case NORMAL -> send(req, r, done);
            }
        });
    }

    private void after(long millis, Runnable action) {
        if (millis <= 0) {
            action.run();
        } else {
            vertx.setTimer(millis, id -> action.run());
        }
    }

    private static void drop(HttpServerRequest req, Runnable done) {
        done.run();
        req.connection().close();
    }

    private boolean rejectsClient(RecordedRequest request) {
        String secret = acceptedSecret;
        String clientId = acceptedClientId;
        return secret != null && (!secret.equals(clientSecretOf(request))
                || clientId != null && !clientId.equals(clientIdOf(request)));
    }

    private static Response invalidClient() {
        return Response.error(401, "invalid_client", "client authentication failed")
                .withHeader("WWW-Authenticate", "Basic realm=\"test\"");
    }

    private Response tokens(Response r, RecordedRequest request) {
        String refreshToken = null;
        if (r.refreshTokens) {
            Map<String, String> form = request.form();
            if ("refresh_token".equals(form.get("grant_type"))) {
                String presented = form.get("refresh_token");
                if (presented == null || !unusedRefreshTokens.remove(presented)) {
                    return Response.error(400, "invalid_grant", "unknown or used refresh token");
                }
            }
            refreshToken = TOKEN_PREFIX + sequence.incrementAndGet() + "-" + UUID.randomUUID();
            unusedRefreshTokens.add(refreshToken);
            issuedRefreshTokens.add(refreshToken);
        }
        long seconds = r.lifetime.toSeconds();
        long expiresAt = System.currentTimeMillis() + seconds * 1000;
        String token = TOKEN_PREFIX + sequence.incrementAndGet() + "-" + UUID.randomUUID() + "." + expiresAt;
        String proof = bindsDpop ? request.header("DPoP") : null;
        if (proof != null) {
            dpopProofs.put(token, proof);
        }
        issuedTokens.add(token);
        issued.incrementAndGet();
        if (expiresAt > newestExpiresAtMillis) {
            newestExpiresAtMillis = expiresAt; // racing writers differ by microseconds: close enough for a probe
        }
        return r.withBody("{\"access_token\":\"" + token + "\",\"token_type\":\"" + (proof != null ? "DPoP" : "Bearer")
                + "\",\"expires_in\":" + seconds
                + (refreshToken == null ? "" : ",\"refresh_token\":\"" + refreshToken + "\"") + "}");
    }

    /** Sends {@code r}; the request stops counting as in flight first, so a client never sees it counted after its answer. */
    private void send(HttpServerRequest req, Response r, Runnable done) {
        done.run();
        HttpServerResponse resp = req.response();
        resp.setStatusCode(r.status);
        r.headers.forEach((name, values) -> values.forEach(v -> resp.headers().add(name, v)));
        if (r.streamedBytes > 0) {
            resp.setChunked(true);
            Buffer head = Buffer.buffer("{\"access_token\":\"");
            resp.write(head);
            byte[] filler = new byte[8192];
            Arrays.fill(filler, (byte) 'a');
            stream(resp, Buffer.buffer(filler), r.streamedBytes - head.length());
            return;
        }
        Buffer body = Buffer.buffer(r.body);
        if (r.dropAfterHeaders) {
            resp.putHeader("Content-Length", String.valueOf(body.length() + 100L));
            // dropping the connection once half the body is on the wire leaves the client short
            resp.write(body.getBuffer(0, body.length() / 2)).onComplete(v -> req.connection().close());
            return;
        }
        resp.end(body);
    }

    /** Writes {@code left} bytes of filler as fast as the client reads them, then ends the body. */
    private static void stream(HttpServerResponse resp, Buffer filler, long left) {
        while (left > 0 && !resp.writeQueueFull()) {
            int n = (int) Math.min(filler.length(), left);
            resp.write(n == filler.length() ? filler : filler.getBuffer(0, n));
            left -= n;
        }
        if (left > 0) {
            long rest = left;
            resp.drainHandler(v -> stream(resp, filler, rest));
        } else {
            resp.end();
        }
    }

    private static RecordedRequest record(HttpServerRequest req, Buffer body) {
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String name : req.headers().names()) {
            headers.put(name, List.copyOf(req.headers().getAll(name)));
        }
        Buffer kept = body.length() > MAX_RECORDED_BODY ? body.getBuffer(0, MAX_RECORDED_BODY) : body;
        return new RecordedRequest(req.method().name(), req.path(), req.query(), Collections.unmodifiableMap(headers),
                kept.toString(StandardCharsets.UTF_8));
    }

    private static String[] basicCredentials(RecordedRequest request) {
        String auth = request.header("Authorization");
        if (auth == null || !auth.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String pair = new String(Base64.getDecoder().decode(auth.substring(6).strip()), StandardCharsets.UTF_8);
        int colon = pair.indexOf(':');
        if (colon < 0) {
            return null;
        }
        // RFC 6749 2.3.1: both halves are form-encoded before they are joined
        return new String[] {URLDecoder.decode(pair.substring(0, colon), StandardCharsets.UTF_8),
                URLDecoder.decode(pair.substring(colon + 1), StandardCharsets.UTF_8)};
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (Exception e) {
            throw new IllegalStateException("the fake IdP's server did not start or stop", e);
        }
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
        private final boolean refreshTokens;
        private final long streamedBytes;
        private final boolean dropAfterHeaders;

        private Response(Behaviour behaviour, int status, Map<String, List<String>> headers, String body,
                Duration delay, Duration lifetime, boolean refreshTokens, long streamedBytes, boolean dropAfterHeaders) {
            this.behaviour = behaviour;
            this.status = status;
            this.headers = headers;
            this.body = body;
            this.delay = delay;
            this.lifetime = lifetime;
            this.refreshTokens = refreshTokens;
            this.streamedBytes = streamedBytes;
            this.dropAfterHeaders = dropAfterHeaders;
        }

        /** An answer with {@code status} and no body. */
        public static Response status(int status) {
            return new Response(Behaviour.NORMAL, status, Map.of(), "", Duration.ZERO, null, false, 0, false);
        }

        /** An answer with {@code status} and a JSON body (Content-Type application/json). */
        public static Response json(int status, String body) {
            return status(status).withHeader("Content-Type", "application/json").withBody(body);
        }

        /**
         * An OAuth error answer (RFC 6749 5.2): {@code status}, {@code {"error":…,"error_description":…}}
         * ({@code description} may be null), {@code Cache-Control: no-store}.
         */
        public static Response error(int status, String error, String description) {
            Objects.requireNonNull(error, "error");
            return json(status, "{\"error\":\"" + error + "\""
                    + (description == null ? "" : ",\"error_description\":\"" + description + "\"") + "}")
                    .withHeader("Cache-Control", "no-store");
        }

        /** {@code 429 slow_down} with {@code Retry-After} in whole seconds. */
        public static Response rateLimited(Duration retryAfter) {
            return error(429, "slow_down", null).withHeader("Retry-After", Long.toString(retryAfter.toSeconds()));
        }

        /** A valid Bearer token response with a fresh unique token each time it is used. */
        public static Response tokens(Duration lifetime) {
            Objects.requireNonNull(lifetime, "lifetime");
            if (lifetime.isNegative() || lifetime.isZero()) {
                throw new IllegalArgumentException("lifetime must be positive: " + lifetime);
            }
            return new Response(Behaviour.TOKENS, 200,
                    Map.of("Content-Type", List.of("application/json"), "Cache-Control", List.of("no-store")), "",
                    Duration.ZERO, lifetime, false, 0, false);
        }

        /**
         * Like {@link #tokens}, and each answer carries a fresh refresh token, good for one
         * {@code refresh_token} grant (rotation): a grant presenting a refresh token the server did
         * not issue, or that was used already, is answered {@code 400 invalid_grant}.
         */
        public static Response tokensWithRefresh(Duration lifetime) {
            Response r = tokens(lifetime);
            return new Response(r.behaviour, r.status, r.headers, r.body, r.delay, r.lifetime, true, 0, false);
        }

        /** Never answers: holds the request until the server closes (at most {@link #MAX_HANG}). */
        public static Response hang() {
            return new Response(Behaviour.HANG, 0, Map.of(), "", Duration.ZERO, null, false, 0, false);
        }

        /** Closes the connection without answering. */
        public static Response dropConnection() {
            return new Response(Behaviour.DROP, 0, Map.of(), "", Duration.ZERO, null, false, 0, false);
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
                    Duration.ZERO, null, false, bytes, false);
        }

        /** This answer with one more header value. */
        public Response withHeader(String name, String value) {
            Map<String, List<String>> copy = new LinkedHashMap<>(headers);
            List<String> values = new ArrayList<>(copy.getOrDefault(name, List.of()));
            values.add(value);
            copy.put(name, List.copyOf(values));
            return new Response(behaviour, status, Collections.unmodifiableMap(copy), body, delay, lifetime,
                    refreshTokens, streamedBytes, dropAfterHeaders);
        }

        /** This answer with {@code body} (UTF-8, sent with a Content-Length). */
        public Response withBody(String body) {
            return new Response(behaviour == Behaviour.TOKENS ? Behaviour.NORMAL : behaviour, status, headers,
                    Objects.requireNonNull(body, "body"), delay, lifetime, refreshTokens, streamedBytes,
                    dropAfterHeaders);
        }

        /** This answer, sent only after {@code delay} (on top of the server's {@link FakeIdp#latency}). */
        public Response withDelay(Duration delay) {
            return new Response(behaviour, status, headers, body, Objects.requireNonNull(delay, "delay"), lifetime,
                    refreshTokens, streamedBytes, dropAfterHeaders);
        }

        /** This answer's headers and half its body, then the connection drops. */
        public Response droppingMidBody() {
            return new Response(behaviour, status, headers, body, delay, lifetime, refreshTokens, streamedBytes, true);
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
     * @param body the body, as UTF-8 text (its first MiB)
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
