package dev.tokenkeeper.runnable.proxy;

import dev.tokenkeeper.bootstrap.ProxyConfig;
import dev.tokenkeeper.bootstrap.SidecarConfig;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.api.AuthenticatedRequests;
import dev.tokenkeeper.domain.api.ProofOfPossession;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.net.ConnectException;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One route of the injecting proxy: a local HTTP listener that forwards every request to one
 * upstream with a token of one client, so that a process with no token code at all
 * ({@code curl http://127.0.0.1:9001/orders}) reaches {@code https://api.example/orders}
 * authenticated.
 *
 * <h2>What is forwarded</h2>
 * The method, the path and query (appended to the upstream's base path), and the headers, less the
 * hop-by-hop ones (RFC 9110 §7.6.1, and any the {@code Connection} header names), less any
 * {@code Authorization}, {@code DPoP} and {@code Proxy-Authorization} the caller sent (the token
 * replaces them; a caller's own credential never reaches the upstream), with {@code Host} set to the
 * upstream. Bodies are streamed both ways with back-pressure (pipes); the answer is passed back as
 * it is, redirects included: a redirect is never followed here, so the token never reaches another
 * origin.
 *
 * <h2>The token, and a rejected one</h2>
 * The rules are the library clients' ({@link AuthenticatedRequests}): the credentials of the
 * client's current token, from {@link Tokenkeeper#requests(String)} (a DPoP-bound token is sent as
 * {@code DPoP} with a fresh proof for each request, made by the client's {@code DpopProofs}; a
 * {@code use_dpop_nonce} challenge is answered once with the new nonce, which the rules remember
 * for the upstream's next proofs); a 401 that rejects the token invalidates it only if it is still current; the
 * request is replayed <em>once</em> with a fresh token if its body could be kept: none, or at most
 * {@link ProxyConfig.Route#replayBuffer()} bytes. A larger body is streamed as it arrives and not
 * replayed: its 401 reaches the caller (the next request gets the fresh token). A 403 is never
 * replayed.
 *
 * <h2>Failures</h2>
 * Answers of the proxy itself are small JSON documents {@code {"error", "message"}} with
 * {@code Cache-Control: no-store}, never showing a token: 421 for a {@code Host} that does not name
 * this machine (the sidecar's rule, {@link SidecarConfig#acceptsHost}: DNS rebinding), 400 for a
 * request target that is not a path, 503 {@code no_token} when no token can be had (with the failure
 * kind), 502 when the upstream cannot be reached or its TLS certificate is not trusted, 504 when it
 * stays silent longer than {@link ProxyConfig.Route#timeout()}. An upstream that breaks off in the
 * middle of an answer has the caller's connection reset (a truncated body must not look whole).
 *
 * <p>TLS to the upstream is verified (the JVM's trust store, or the route's trust file) with host
 * name verification; connections are pooled. Nothing blocks an event loop: invalidating a rejected
 * token (which may touch a shared store) runs on {@code blocking}. No access log is written.
 * Thread-safe.
 */
public final class InjectingProxy {

    private static final Logger LOG = LoggerFactory.getLogger("dev.tokenkeeper.proxy");
    /** RFC 9110 §7.6.1, plus {@code Proxy-Connection} (still sent by old clients) and {@code Expect} (answered here). */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "expect");
    /** Set here, never copied from the caller: the upstream's host, the credentials, the body's framing. */
    private static final Set<String> REPLACED = Set.of("host", "authorization", "dpop", "content-length");
    /** Connections kept to one upstream: enough for a busy local service; more requests wait their turn. */
    static final int POOL_SIZE = 64;

    private final ProxyConfig.Route route;
    private final SidecarConfig sidecar;
    private final Vertx vertx;
    private final AuthenticatedRequests requests;
    private final Executor blocking;
    private final HttpClientAgent client;
    private final HttpServer server;
    private final String host;
    private final int upstreamPort;
    private final boolean ssl;
    private final String basePath;

    private InjectingProxy(Tokenkeeper tk, SidecarConfig sidecar, ProxyConfig.Route route, Executor blocking) {
        this.route = route;
        this.sidecar = sidecar;
        this.vertx = tk.vertx();
        this.blocking = blocking;
        TokenkeeperConfig.ClientConfig c = tk.config().clients().get(route.client());
        if (c == null) {
            throw new IllegalStateException("proxy " + route.name() + ": the client " + route.client() + " is not configured");
        }
        this.requests = tk.requests(route.client()); // with the client's DPoP proofs if it has a key
        URI up = route.upstream();
        this.ssl = "https".equalsIgnoreCase(up.getScheme());
        this.host = up.getHost();
        this.upstreamPort = up.getPort() >= 0 ? up.getPort() : ssl ? 443 : 80;
        String path = up.getRawPath() == null ? "" : up.getRawPath();
        this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        HttpClientOptions options = new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_1_1)
                .setConnectTimeout((int) route.connectTimeout().toMillis())
                .setKeepAlive(true)
                .setTcpNoDelay(true)
                .setDecompressionSupported(false) // bytes pass through as the upstream sent them
                .setSsl(ssl)
                .setVerifyHost(true); // the certificate must name the upstream's host
        if (ssl && route.trustFile() != null) {
            options.setTrustOptions(new PemTrustOptions().addCertPath(route.trustFile().toString()));
        }
        this.client = vertx.createHttpClient(options, new PoolOptions().setHttp1MaxSize(POOL_SIZE));
        Duration idle = sidecar.idleTimeout().compareTo(route.timeout()) > 0 ? sidecar.idleTimeout()
                : route.timeout().plusSeconds(1); // the caller's connection outlives the wait for the upstream
        this.server = vertx.createHttpServer(new HttpServerOptions()
                .setHost(sidecar.host())
                .setPort(route.listen())
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(16384)
                .setHttp2ClearTextEnabled(false) // HTTP/1.1 to local callers, as the sidecar
                .setHandle100ContinueAutomatically(true) // curl sends Expect: 100-continue with larger bodies
                .setIdleTimeout((int) idle.toMillis())
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS));
        server.requestHandler(this::handle);
    }

    /**
     * Starts the route's listener on {@link SidecarConfig#host()} (the sidecar's loopback rules and
     * {@code Host} check apply) and its pooled client to the upstream.
     *
     * @param blocking runs the invalidation of a rejected token (it may touch a shared store)
     * @throws IllegalStateException if the port cannot be bound (the message names the route and port)
     */
    public static InjectingProxy start(Tokenkeeper tk, SidecarConfig sidecar, ProxyConfig.Route route, Executor blocking) {
        InjectingProxy proxy = new InjectingProxy(Objects.requireNonNull(tk, "tk"), Objects.requireNonNull(sidecar, "sidecar"),
                Objects.requireNonNull(route, "route"), Objects.requireNonNull(blocking, "blocking"));
        try {
            proxy.server.listen().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            proxy.client.close();
            throw new IllegalStateException("proxy " + route.name() + " cannot listen on " + sidecar.host() + ":" + route.listen()
                    + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
        LOG.info("proxy {} listening on {} -> {} with the token of client {}", route.name(), proxy.uri(), route.upstream(),
                route.client());
        return proxy;
    }

    /** The route served. */
    public ProxyConfig.Route route() {
        return route;
    }

    /** The port listened on (the chosen one when configured with 0). */
    public int port() {
        return server.actualPort();
    }

    /** The base URL callers use, e.g. {@code http://127.0.0.1:9001}. */
    public URI uri() {
        String h = sidecar.host().contains(":") ? "[" + sidecar.host() + "]" : sidecar.host();
        return URI.create("http://" + h + ":" + port());
    }

    // ------------------------------------------------------------------------------------------
    // A request

    private void handle(HttpServerRequest req) {
        HttpServerResponse res = req.response();
        if (!sidecar.acceptsHost(hostOf(req), localAddressOf(req))) {
            res.putHeader("Connection", "close");
            error(res, 421, "misdirected_request", "the Host header does not name this proxy");
            return;
        }
        String path = req.path();
        if (path == null || !path.startsWith("/")) {
            error(res, 400, "bad_request", "the request target must be a path such as /orders?page=1");
            return;
        }
        URI target;
        try {
            target = new URI((ssl ? "https" : "http") + "://" + authority() + basePath + path
                    + (req.query() == null ? "" : "?" + req.query()));
        } catch (java.net.URISyntaxException e) {
            error(res, 400, "bad_request", "the request target is not a valid URI path and query");
            return;
        }
        long length;
        try {
            String cl = req.getHeader(HttpHeaders.CONTENT_LENGTH);
            length = cl == null ? -1 : Long.parseLong(cl.strip());
            if (cl != null && length < 0) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            error(res, 400, "bad_request", "the Content-Length header is not a number");
            return;
        }
        boolean chunked = length < 0 && req.headers().contains(HttpHeaders.TRANSFER_ENCODING);
        Context context = vertx.getOrCreateContext();
        if (length == 0 || (length < 0 && !chunked)) {
            forward(req, context, target, Body.NONE);
            return;
        }
        if (length > 0 && length <= route.replayBuffer()) {
            req.body().onComplete(b -> {
                if (b.succeeded()) {
                    forward(req, context, target, Body.kept(b.result()));
                } else {
                    res.reset(); // the caller broke off its own request
                }
            });
        } else if (length > 0) {
            req.pause(); // read at the upstream's pace once its request is open
            forward(req, context, target, Body.streamed(null, length));
        } else {
            keepUpTo(req, context, target);
        }
    }

    /**
     * A body of unknown length: kept while it fits the replay buffer (then the request can be
     * replayed); once it outgrows it, what was kept is sent first and the rest streamed after it.
     */
    private void keepUpTo(HttpServerRequest req, Context context, URI target) {
        Buffer kept = Buffer.buffer();
        boolean[] decided = new boolean[1];
        req.handler(chunk -> {
            if (decided[0]) {
                return;
            }
            kept.appendBuffer(chunk);
            if (kept.length() > route.replayBuffer()) {
                decided[0] = true;
                req.pause();
                req.handler(null);
                req.endHandler(null);
                forward(req, context, target, Body.streamed(kept, -1));
            }
        });
        req.endHandler(v -> {
            if (!decided[0]) {
                decided[0] = true;
                forward(req, context, target, Body.kept(kept));
            }
        });
        req.exceptionHandler(e -> {
            if (!decided[0]) {
                decided[0] = true;
                req.response().reset();
            }
        });
        req.resume();
    }

    private void forward(HttpServerRequest req, Context context, URI target, Body body) {
        String method = req.method().name();
        Exchange exchange = new Exchange(req, target, body);
        // a caller that leaves before the answer: its upstream request is reset, not left to run out its timeout
        req.response().closeHandler(v -> exchange.abandon());
        requests.executeAsync(method, target, body.repeatable(), exchange).whenComplete((answer, failure) ->
                context.runOnContext(v -> {
                    if (failure != null) {
                        failed(req, body, failure);
                    } else {
                        respond(req, answer);
                    }
                }));
    }

    /** Sends one attempt through the pooled client; the rules decide what happens to its answer. */
    private final class Exchange implements AuthenticatedRequests.AsyncExchange<HttpClientResponse> {
        private final HttpServerRequest req;
        private final URI target;
        private final Body body;
        /** The attempt in flight, reset if the caller leaves. */
        private volatile HttpClientRequest current;
        private volatile boolean abandoned;

        Exchange(HttpServerRequest req, URI target, Body body) {
            this.req = req;
            this.target = target;
            this.body = body;
        }

        void abandon() {
            abandoned = true;
            HttpClientRequest up = current;
            if (up != null) {
                up.reset();
            }
        }

        @Override
        public CompletionStage<HttpClientResponse> send(AuthenticatedRequests.Attempt attempt) {
            // a DPoP nonce challenge (RFC 9449 §9) is the rules' to answer: they send the attempt again with a new proof
            Future<HttpClientResponse> sent = once(attempt);
            CompletableFuture<HttpClientResponse> answer = new CompletableFuture<>();
            sent.onComplete(r -> {
                if (r.failed()) {
                    answer.completeExceptionally(r.cause());
                } else if (AuthenticatedRequests.rejects(r.result().statusCode(), r.result().headers().getAll("WWW-Authenticate"))) {
                    // the rules invalidate the rejected token next, which may reach a shared store: off the event loop
                    blocking.execute(() -> answer.complete(r.result()));
                } else {
                    answer.complete(r.result());
                }
            });
            return answer;
        }

        private Future<HttpClientResponse> once(AuthenticatedRequests.Attempt attempt) {
            RequestOptions options = new RequestOptions()
                    .setMethod(req.method())
                    .setHost(host)
                    .setPort(upstreamPort)
                    .setSsl(ssl)
                    .setURI(target.getRawPath() + (target.getRawQuery() == null ? "" : "?" + target.getRawQuery()))
                    .setIdleTimeout(route.timeout().toMillis());
            return client.request(options).compose(up -> {
                current = up;
                if (abandoned) {
                    up.reset();
                }
                copyRequestHeaders(req.headers(), up.headers());
                attempt.credentials().headers().forEach(up::putHeader); // Authorization, and a DPoP proof for this request
                Future<HttpClientResponse> response = body.sendOn(up, req);
                return response.map(r -> {
                    r.pause(); // its body waits for the caller (or is drained if it is replayed)
                    return r;
                });
            });
        }

        @Override
        public AuthenticatedRequests.Answer answer(HttpClientResponse response) {
            // never a redirect followed: every answer is the addressed origin's, to a request with the token
            return new AuthenticatedRequests.Answer(response.statusCode(), response.headers().getAll("WWW-Authenticate"), true,
                    response.getHeader(ProofOfPossession.DPOP_NONCE));
        }

        @Override
        public void discard(HttpClientResponse response) {
            response.handler(b -> { }); // drained, so that its connection returns to the pool
            response.resume();
        }
    }

    private void respond(HttpServerRequest req, HttpClientResponse up) {
        HttpServerResponse res = req.response();
        if (res.ended() || res.closed()) {
            up.request().reset();
            return;
        }
        res.setStatusCode(up.statusCode());
        if (up.statusMessage() != null) {
            res.setStatusMessage(up.statusMessage());
        }
        Set<String> dropped = hopByHop(up.headers());
        for (Map.Entry<String, String> h : up.headers()) {
            if (!dropped.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                res.headers().add(h.getKey(), h.getValue());
            }
        }
        boolean bodyless = req.method() == HttpMethod.HEAD || up.statusCode() == 204 || up.statusCode() == 304
                || up.statusCode() < 200;
        if (!bodyless && !up.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
            res.setChunked(true);
        }
        up.pipeTo(res).onFailure(e -> {
            // the upstream broke off, or the caller left: a truncated answer must not look complete
            up.request().reset();
            res.reset();
        });
    }

    private void failed(HttpServerRequest req, Body body, Throwable failure) {
        HttpServerResponse res = req.response();
        if (res.closed()) {
            LOG.debug("proxy {}: the caller left before the answer; its upstream request was reset", route.name());
            return;
        }
        if (body.streaming()) {
            req.resume(); // what the caller still sends is read and dropped
        }
        if (res.headWritten()) {
            res.reset();
            return;
        }
        Throwable cause = TokenException.unwrap(failure);
        if (cause instanceof TokenException te) {
            LOG.warn("proxy {}: no token for client {} ({}): {}", route.name(), route.client(), te.kind(), te.getMessage());
            error(res, 503, "no_token", "no token can be had for client " + route.client() + " (" + te.kind() + ")");
            return;
        }
        String upstream = route.upstream().toString();
        if (isTimeout(cause)) {
            LOG.warn("proxy {}: {} did not answer within {}", route.name(), upstream, route.timeout());
            error(res, 504, "upstream_timeout", "the upstream " + upstream + " did not answer in time");
        } else if (causedBy(cause, SSLException.class)) {
            LOG.warn("proxy {}: TLS to {} failed ({})", route.name(), upstream, cause.getClass().getSimpleName());
            error(res, 502, "upstream_tls_failed", "the TLS connection to " + upstream
                    + " failed: its certificate is not trusted or does not name it");
        } else if (causedBy(cause, ConnectException.class) || cause.getClass().getName().contains("Connect")) {
            LOG.warn("proxy {}: {} cannot be reached ({})", route.name(), upstream, cause.getClass().getSimpleName());
            error(res, 502, "upstream_unreachable", "the upstream " + upstream + " cannot be reached");
        } else {
            LOG.warn("proxy {}: the request to {} failed ({})", route.name(), upstream, cause.getClass().getName());
            error(res, 502, "upstream_failed", "the request to the upstream " + upstream + " failed");
        }
    }

    private static boolean isTimeout(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof java.util.concurrent.TimeoutException || c.getClass().getSimpleName().contains("Timeout")) {
                return true;
            }
        }
        return false;
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private static void error(HttpServerResponse res, int status, String error, String message) {
        res.setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store")
                .end(new JsonObject().put("error", error).put("message", message).encode() + "\n");
    }

    // ------------------------------------------------------------------------------------------
    // Headers

    private static void copyRequestHeaders(MultiMap from, MultiMap to) {
        Set<String> dropped = hopByHop(from);
        for (Map.Entry<String, String> h : from) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            if (!dropped.contains(name) && !REPLACED.contains(name)) {
                to.add(h.getKey(), h.getValue());
            }
        }
    }

    /** The hop-by-hop headers, and those the {@code Connection} header names, lower case. */
    private static Set<String> hopByHop(MultiMap headers) {
        Set<String> names = new HashSet<>(HOP_BY_HOP);
        for (String connection : headers.getAll(HttpHeaders.CONNECTION)) {
            for (String token : connection.split(",")) {
                names.add(token.strip().toLowerCase(Locale.ROOT));
            }
        }
        return names;
    }

    private String authority() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return h + ":" + upstreamPort;
    }

    private static String hostOf(HttpServerRequest req) {
        HostAndPort authority = req.authority();
        return authority == null ? null : authority.host();
    }

    private static String localAddressOf(HttpServerRequest req) {
        SocketAddress local = req.localAddress();
        return local == null ? null : local.hostAddress();
    }

    // ------------------------------------------------------------------------------------------
    // Bodies

    /**
     * A request's body as the proxy holds it: none, kept whole (so it can be sent again), or streamed
     * from the caller (after a kept prefix, if one was read before it outgrew the replay buffer).
     */
    private record Body(Buffer kept, boolean streaming, long length) {
        static final Body NONE = new Body(null, false, 0);

        static Body kept(Buffer b) {
            return new Body(b, false, b.length());
        }

        static Body streamed(Buffer prefix, long length) {
            return new Body(prefix, true, length);
        }

        boolean repeatable() {
            return !streaming;
        }

        Future<HttpClientResponse> sendOn(HttpClientRequest up, HttpServerRequest from) {
            if (!streaming) {
                return kept == null ? up.send() : up.send(kept.copy());
            }
            if (length >= 0) {
                up.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(length));
            } else {
                up.setChunked(true);
            }
            if (kept != null) {
                up.write(kept);
            }
            // piped: the caller is read as fast as the upstream takes it; a caller that breaks off
            // has the upstream request reset, never ended (a truncated body must not look whole)
            from.pipe().endOnFailure(false).to(up).onFailure(e -> up.reset());
            return up.response();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Shutdown

    /**
     * Stops accepting, lets requests in flight finish for up to {@code grace}, then closes the pool.
     */
    public void close(Duration grace) {
        try {
            server.shutdown(grace.toMillis(), TimeUnit.MILLISECONDS).await(grace.toMillis() + 2_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("proxy {} did not stop cleanly within {} ({}); closing anyway", route.name(), grace,
                    e.getClass().getSimpleName());
        }
        try {
            client.close().await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // best effort: the process is stopping
        }
    }

    @Override
    public String toString() {
        return "InjectingProxy[" + route.describe() + "]";
    }
}
