package dev.tokenkeeper.runnable.sidecar;

import dev.tokenkeeper.bootstrap.SidecarConfig;
import dev.tokenkeeper.bootstrap.LoggingEventListener;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.bootstrap.metrics.TokenMetrics;
import dev.tokenkeeper.bootstrap.persistence.ReconnectingStore;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.runnable.proxy.Proxies;
import dev.tokenkeeper.runnable.sink.TokenSinks;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenStatus;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar HTTP server in front of a running {@link Tokenkeeper}.
 *
 * <ul>
 *   <li>{@code GET /}: the {@link StatusPage}, an HTML page that reloads itself ({@code ?refresh=N}
 *       seconds, 1 to 300, default {@value StatusPage#DEFAULT_REFRESH_SECONDS}). Never a token.</li>
 *   <li>{@code GET /auth/status/{client}}: one client as {@code {has_token, expires_at,
 *       expires_in_seconds, is_valid}} exactly (the service spec's shape);</li>
 *   <li>{@code GET /auth/status}: per configured client, the {@link StatusDocument} shape (the
 *       same as {@code tokenkeeper status --json}). Never a token.</li>
 *   <li>{@code GET /health/live}: 200 while the server runs.</li>
 *   <li>{@code GET /health/ready}: 200 when the store answers and every client is ready (see
 *       {@link #clientReadiness}); 503 otherwise and during shutdown. The body names each client
 *       that is not ready and the failure kind, never a secret.</li>
 *   <li>{@code GET /metrics}: every meter in the Prometheus text format.</li>
 *   <li>{@code GET /token/{client}}: only when {@link SidecarConfig#tokenEndpointEnabled()}; the
 *       caller must send {@code Authorization: Bearer <secret>}. Answers
 *       {@code {"access_token","token_type","expires_at","expires_in"}} with {@code Cache-Control: no-store}.</li>
 * </ul>
 *
 * <p>Every request must name this sidecar in its {@code Host} header
 * ({@link SidecarConfig#acceptsHost}); others get 421 and no detail, which defeats DNS rebinding.
 * A connection is closed when it carries no traffic for {@link SidecarConfig#idleTimeout()}, or
 * when a request's line and headers take longer than {@link SidecarConfig#headerTimeout()} to
 * arrive (a slow-header client cannot hold sockets open by trickling bytes).
 *
 * <p>Nothing blocks an event loop: tokens are awaited asynchronously and the store probe runs on a
 * worker thread. The server writes no access log (a log line must never see a bearer header).
 * {@link #close()} is graceful: readiness turns 503 at once, the server stops accepting, in-flight
 * requests get {@link SidecarConfig#shutdownGrace()} to finish, then the tokenkeeper closes.
 *
 * <p>Launched from a configuration, it also keeps the configured token sinks ({@link TokenSinks},
 * issue 13) from start to {@link #close()}.
 *
 * <p>Thread-safe.
 */
public final class Sidecar implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("dev.tokenkeeper.sidecar");
    /** A readiness probe must answer well inside an orchestrator's probe timeout (1 s by default in Kubernetes). */
    static final Duration PROBE_TIMEOUT = Duration.ofMillis(800);
    /** How often keep-warm asks for each token: far inside the manager's idle timeout, cheap (a cache hit). */
    static final Duration KEEP_WARM_INTERVAL = Duration.ofSeconds(30);
    private static final StoreKey PROBE_KEY = new StoreKey("tokenkeeper-readiness-probe");
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Tokenkeeper tk;
    private final boolean ownsTokenkeeper;
    private final SidecarConfig config;
    private final PrometheusMeterRegistry registry;
    private final InstantSource clock;
    private final Map<String, TokenKey> keys = new LinkedHashMap<>();
    private final Vertx vertx;
    private final HttpClient probes;
    private final Map<HttpConnection, HeaderDeadline> deadlines = new ConcurrentHashMap<>();
    private final HttpServer server;
    /** The injecting proxy's routes ({@code proxy.<route>.*}), started and stopped with the server. */
    private final Proxies proxies;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final long keepWarmTimer;
    /** Keep-warm acquisitions in flight: close() lets them finish (within the grace) before the tokenkeeper closes. */
    private final Set<CompletableFuture<?>> warming = ConcurrentHashMap.newKeySet();
    /** The status page's timeline; null when the caller assembled the tokenkeeper ({@link #serve}). */
    private final RecentAcquisitions recent;
    /** Issue 13: the token files kept while serving (launch only); closed before the tokenkeeper. */
    private volatile TokenSinks sinks;

    private Sidecar(Tokenkeeper tk, boolean owns, SidecarConfig config, PrometheusMeterRegistry registry, InstantSource clock,
            RecentAcquisitions recent) {
        this.tk = tk;
        this.recent = recent;
        this.ownsTokenkeeper = owns;
        this.config = config;
        this.registry = registry;
        this.clock = clock;
        tk.config().clientList().forEach(c -> keys.put(c.name(), c.key()));
        // one Vert.x per process: the server, its probes and timers share the event loops of the
        // token endpoints instead of starting a second set of threads
        this.vertx = tk.vertx();
        this.probes = vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int) PROBE_TIMEOUT.toMillis())
                .setKeepAlive(false)); // redirects are not followed: any answer is an answer
        this.server = vertx.createHttpServer(new HttpServerOptions()
                .setHost(config.host())
                .setPort(config.port())
                .setMaxInitialLineLength(2048)
                .setMaxHeaderSize(8192)
                // HTTP/1.1 only: local callers need nothing more, and with cleartext HTTP/2 on, Vert.x
                // holds a new connection back until it has seen enough bytes to choose, so the header
                // deadline could not start on connect
                .setHttp2ClearTextEnabled(false)
                .setIdleTimeout((int) config.idleTimeout().toMillis())
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS));
        server.connectionHandler(this::connected);
        server.requestHandler(this::handle);
        try {
            server.listen().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            probes.close();
            throw new IllegalStateException("the sidecar cannot listen on " + config.host() + ":" + config.port()
                    + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
        try {
            this.proxies = Proxies.start(tk, config);
        } catch (RuntimeException e) {
            server.close();
            probes.close();
            throw e;
        }
        if (config.remotelyReachable() && config.tokenEndpointEnabled()) {
            LOG.warn("SECURITY: the sidecar binds {}, reachable from other hosts, and serves access tokens at "
                    + "/token/... over plain HTTP: anyone on the path can read them. Bind 127.0.0.1, or put a TLS "
                    + "proxy in front and restrict the network.", config.host());
        }
        if (config.keepWarm()) {
            keepWarm();
            keepWarmTimer = vertx.setPeriodic(KEEP_WARM_INTERVAL.toMillis(), id -> keepWarm());
        } else {
            keepWarmTimer = -1;
        }
    }

    /**
     * Assembles a tokenkeeper from {@code config} with logs and metrics, and serves it as {@link TokenkeeperConfig#sidecar()} says. The sidecar
     * owns the tokenkeeper: {@link #close()} closes it.
     */
    public static Sidecar launch(TokenkeeperConfig config, InstantSource clock) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(new LatencyBuckets()); // quantiles for the dashboard (ops/grafana)
        TokenMetrics metrics = new TokenMetrics(registry, config.clients().keySet());
        RecentAcquisitions recent = new RecentAcquisitions(config.clients().keySet(), clock, RecentAcquisitions.DEFAULT_CAPACITY);
        TokenSinks sinks = TokenSinks.forConfig(config, clock);
        Tokenkeeper tk = Tokenkeeper.builder(config)
                .listener(new LoggingEventListener().andThen(metrics).andThen(recent).andThen(sinks))
                .clock(clock)
                .recordHits(true)
                .start();
        try {
            Map<String, TokenKey> keys = new LinkedHashMap<>();
            config.clientList().forEach(c -> keys.put(c.name(), c.key()));
            metrics.bind(tk.manager(), keys, clock);
            Sidecar sidecar = new Sidecar(tk, true, config.sidecar(), registry, clock, recent);
            sidecar.sinks = sinks;
            sinks.start(tk.provider());
            return sidecar;
        } catch (RuntimeException e) {
            sinks.close();
            tk.close();
            registry.close();
            throw e;
        }
    }

    /**
     * Serves a tokenkeeper the caller assembled (and keeps owning); {@code registry} is scraped for
     * {@code /metrics}.
     */
    public static Sidecar serve(Tokenkeeper tk, SidecarConfig config, PrometheusMeterRegistry registry, InstantSource clock) {
        return new Sidecar(Objects.requireNonNull(tk, "tk"), false, Objects.requireNonNull(config, "config"),
                Objects.requireNonNull(registry, "registry"), Objects.requireNonNull(clock, "clock"), null);
    }

    /** The port the server listens on (the chosen one when configured with 0). */
    public int port() {
        return server.actualPort();
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8787}. */
    public URI uri() {
        String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return URI.create("http://" + host + ":" + port());
    }

    /** The injecting proxy's running routes. */
    public Proxies proxies() {
        return proxies;
    }

    /** The tokenkeeper served. */
    public Tokenkeeper tokenkeeper() {
        return tk;
    }

    private void keepWarm() {
        for (TokenKey key : keys.values()) {
            CompletableFuture<?> f = tk.provider().tokenAsync(key).toCompletableFuture().exceptionally(e -> null);
            warming.add(f);
            f.whenComplete((t, e) -> warming.remove(f));
        }
    }

    // ------------------------------------------------------------------------------------------
    // Routing

    private void handle(HttpServerRequest req) {
        HttpServerResponse res = req.response();
        HeaderDeadline deadline = deadlines.get(req.connection());
        if (deadline != null) {
            deadline.requestArrived();
            res.endHandler(v -> deadline.responseEnded());
        }
        res.putHeader("Cache-Control", "no-store");
        if (!config.acceptsHost(hostOf(req), localAddressOf(req))) {
            // DNS rebinding: a page's own name arrives in Host; answer nothing about this sidecar
            res.putHeader("Connection", "close").setStatusCode(421);
            json(res, new JsonObject().put("error", "misdirected_request"));
            return;
        }
        String path = req.path();
        if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
            res.putHeader("Allow", "GET").setStatusCode(405);
            json(res, new JsonObject().put("error", "method_not_allowed"));
            return;
        }
        try {
            switch (path) {
                case "/" -> page(req, res);
                case "/auth/status" -> json(res.setStatusCode(200), status());
                case "/health/live" -> json(res.setStatusCode(closing.get() ? 503 : 200),
                        new JsonObject().put("status", closing.get() ? "STOPPING" : "UP"));
                case "/health/ready" -> ready(res);
                case "/metrics" -> res.putHeader("Content-Type", PROMETHEUS_TEXT).end(registry.scrape());
                default -> {
                    if (path.startsWith("/token/")) {
                        token(req, res, path.substring("/token/".length()));
                    } else if (path.startsWith("/auth/status/")) {
                        singleStatus(res, path.substring("/auth/status/".length()));
                    } else {
                        json(res.setStatusCode(404), new JsonObject().put("error", "not_found"));
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("sidecar request {} failed: {}", path, e.getClass().getName());
            if (!res.ended()) {
                json(res.setStatusCode(500), new JsonObject().put("error", "internal"));
            }
        }
    }

    private static String hostOf(HttpServerRequest req) {
        HostAndPort authority = req.authority();
        return authority == null ? null : authority.host();
    }

    private static String localAddressOf(HttpServerRequest req) {
        SocketAddress local = req.localAddress();
        return local == null ? null : local.hostAddress();
    }

    private static void json(HttpServerResponse res, JsonObject body) {
        res.putHeader("Content-Type", "application/json").end(body.encodePrettily() + "\n");
    }

    // ------------------------------------------------------------------------------------------
    // /auth/status

    /** The status document: one object per configured client, never a token. */
    JsonObject status() {
        JsonObject clients = new JsonObject();
        Instant now = clock.instant();
        keys.forEach((name, key) -> clients.put(name,
                StatusDocument.client(tk.provider().status(key), tk.manager().circuitState(name), now)));
        return new JsonObject().put("clients", clients);
    }

    /** The status page: HTML under a strict policy (no script, no external asset), never a token. */
    private void page(HttpServerRequest req, HttpServerResponse res) {
        int refresh = StatusPage.DEFAULT_REFRESH_SECONDS;
        String asked = req.getParam("refresh");
        if (asked != null) {
            try {
                refresh = Math.min(300, Math.max(1, Integer.parseInt(asked)));
            } catch (NumberFormatException e) {
                // a malformed value keeps the default: the page is for eyes, not scripts
            }
        }
        Instant now = clock.instant();
        List<StatusPage.ClientView> views = new ArrayList<>();
        keys.forEach((name, key) -> views.add(new StatusPage.ClientView(name, tk.provider().status(key),
                tk.manager().circuitState(name), recent == null ? List.of() : recent.of(name))));
        res.putHeader("Content-Type", "text/html; charset=utf-8")
                .putHeader("Content-Security-Policy", StatusPage.CONTENT_SECURITY_POLICY)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader("X-Frame-Options", "DENY")
                .setStatusCode(200)
                .end(StatusPage.render(views, now, refresh));
    }

    /**
     * One client's status in exactly the service spec's shape ({@link StatusDocument#SINGLE_KEYS}),
     * beside the fleet view: 404 for a client that is not configured (its name is not echoed).
     */
    private void singleStatus(HttpServerResponse res, String client) {
        TokenKey key = keys.get(client);
        if (key == null) {
            json(res.setStatusCode(404), new JsonObject().put("error", "unknown_client"));
            return;
        }
        json(res.setStatusCode(200), StatusDocument.single(tk.provider().status(key), clock.instant()));
    }

    // ------------------------------------------------------------------------------------------
    // /health/ready

    private void ready(HttpServerResponse res) {
        if (closing.get()) {
            json(res.setStatusCode(503), new JsonObject().put("status", "STOPPING"));
            return;
        }
        Future<String> store = vertx.executeBlocking(() -> {
            if (tk.store() instanceof ReconnectingStore r && !r.connected()) {
                return "DOWN"; // down since start: tokens are served from memory until it answers
            }
            tk.store().load(PROBE_KEY);
            return "UP";
        }, false).timeout(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).otherwise(e -> "DOWN");
        Map<String, Future<JsonObject>> clients = new LinkedHashMap<>();
        keys.forEach((name, key) -> clients.put(name, clientReadiness(name, key)));
        List<Future<?>> all = new ArrayList<>(clients.values());
        all.add(store);
        Future.join(all).onComplete(done -> {
            JsonObject checks = new JsonObject().put("store", store.result());
            JsonObject perClient = new JsonObject();
            List<String> failing = new ArrayList<>();
            boolean up = "UP".equals(store.result());
            if (!up) {
                failing.add("store: " + FailureKind.STORE_UNAVAILABLE.name());
            }
            for (Map.Entry<String, Future<JsonObject>> e : clients.entrySet()) {
                JsonObject state = e.getValue().result();
                perClient.put(e.getKey(), state);
                if (!"UP".equals(state.getString("status"))) {
                    up = false;
                    failing.add(e.getKey() + ": " + state.getString("kind"));
                }
            }
            checks.put("clients", perClient);
            JsonObject body = new JsonObject().put("status", up ? "UP" : "DOWN");
            if (!failing.isEmpty()) {
                body.put("failing", String.join(", ", failing));
            }
            json(res.setStatusCode(up ? 200 : 503), body.put("checks", checks));
        });
    }

    /**
     * Whether one client is ready, as {@code {"status":"UP"|"DOWN","check"|"kind":…,"detail":…}}.
     * Ready means the client holds a valid token, or its last acquisition succeeded and the
     * identity provider answers HTTP now. The probe never causes a login storm:
     *
     * <ul>
     *   <li>a valid token: UP, nothing is sent;</li>
     *   <li>no valid token and the last acquisition failed (or the breaker is open): DOWN with that
     *       failure kind, nothing is sent;</li>
     *   <li>no token and no acquisition yet: the probe asks the manager for the token (single
     *       flight: it joins one already running) and waits at most {@link #PROBE_TIMEOUT};</li>
     *   <li>an expired token whose acquisition succeeded: a plain {@code GET} of the token URL
     *       (no credentials, not a token request); any HTTP answer within the timeout is UP.</li>
     * </ul>
     */
    private Future<JsonObject> clientReadiness(String name, TokenKey key) {
        TokenStatus status = tk.provider().status(key);
        if (status.isValid()) {
            return Future.succeededFuture(up("valid_token"));
        }
        if (status.lastError() != null) {
            return Future.succeededFuture(down(status.lastError().name(), "no valid token; the last acquisition failed"));
        }
        if (tk.manager().circuitState(name) == TokenEvent.CircuitState.OPEN) {
            return Future.succeededFuture(down(FailureKind.CIRCUIT_OPEN.name(), "no valid token; the circuit breaker is open"));
        }
        if (!status.hasToken()) {
            CompletionStage<AccessToken> acquisition;
            try {
                acquisition = tk.provider().tokenAsync(key);
            } catch (RuntimeException e) {
                return Future.succeededFuture(acquisitionFailed(e));
            }
            return Future.fromCompletionStage(acquisition)
                    .timeout(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .map(token -> up("valid_token"))
                    .otherwise(Sidecar::acquisitionFailed);
        }
        TokenkeeperConfig.ClientConfig client = tk.config().clients().get(name);
        // a discovered client has no token URL until the first request: its issuer answers instead
        return idpAnswers(client.tokenUrl() != null ? client.tokenUrl() : client.auth().issuer());
    }

    private static JsonObject acquisitionFailed(Throwable error) {
        Throwable cause = TokenException.unwrap(error);
        if (cause instanceof TokenException te) {
            return down(te.kind().name(), "no token could be acquired");
        }
        if (cause instanceof TimeoutException) {
            return down(FailureKind.TIMEOUT.name(), "no token within " + PROBE_TIMEOUT.toMillis() + " ms (an acquisition is running)");
        }
        return down("INTERNAL", "no token could be acquired (" + cause.getClass().getSimpleName() + ")");
    }

    /** Any HTTP answer to a bare GET of the token URL within the probe timeout. */
    private Future<JsonObject> idpAnswers(URI tokenUrl) {
        RequestOptions get = new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setAbsoluteURI(tokenUrl.toString())
                .setTimeout(PROBE_TIMEOUT.toMillis());
        return probes.request(get)
                .compose(req -> req.send())
                .compose(res -> res.end().map(v -> up("idp_answers")))
                .timeout(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .otherwise(e -> e instanceof TimeoutException
                        ? down(FailureKind.TIMEOUT.name(), "the token has expired and the IdP did not answer within "
                                + PROBE_TIMEOUT.toMillis() + " ms")
                        : down(FailureKind.NETWORK.name(), "the token has expired and the IdP cannot be reached ("
                                + e.getClass().getSimpleName() + ")"));
    }

    private static JsonObject up(String check) {
        return new JsonObject().put("status", "UP").put("check", check);
    }

    private static JsonObject down(String kind, String detail) {
        return new JsonObject().put("status", "DOWN").put("kind", kind).put("detail", detail);
    }

    // ------------------------------------------------------------------------------------------
    // /token/{client}

    private void token(HttpServerRequest req, HttpServerResponse res, String client) {
        if (!config.tokenEndpointEnabled()) {
            json(res.setStatusCode(404), new JsonObject().put("error", "not_found")
                    .put("hint", "the token endpoint is off (sidecar.token-endpoint.enabled=false)"));
            return;
        }
        if (!authorized(req.getHeader("Authorization"))) {
            res.putHeader("WWW-Authenticate", "Bearer realm=\"tokenkeeper\"");
            json(res.setStatusCode(401), new JsonObject().put("error", "unauthorized"));
            return;
        }
        TokenKey configured = keys.get(client);
        if (configured == null) {
            json(res.setStatusCode(404), new JsonObject().put("error", "unknown_client"));
            return;
        }
        TokenKey key;
        try {
            // issue 12: ?scope=a+b asks for other scopes; each set has its own cached token
            key = ScopedKeys.withScope(configured, req.getParam("scope"));
        } catch (IllegalArgumentException e) {
            json(res.setStatusCode(400), new JsonObject().put("error", "invalid_scope"));
            return;
        }
        tk.provider().tokenAsync(key).whenComplete((token, error) -> {
            if (error == null) {
                res.putHeader("Pragma", "no-cache");
                json(res.setStatusCode(200), tokenBody(token, clock.instant()));
                return;
            }
            Throwable cause = TokenException.unwrap(error);
            if (cause instanceof TokenException te) {
                // issue 12: the client's API key, only when no token can be had (an event and a metric each time)
                var fallback = tk.fallback(key, te);
                if (fallback.isPresent()) {
                    res.putHeader("Pragma", "no-cache");
                    json(res.setStatusCode(200), new JsonObject().put("api_key", fallback.get().key().current().reveal())
                            .put("header", fallback.get().header()).put("fallback", true).put("cause", te.kind().name()));
                    return;
                }
            }
            String kind = cause instanceof TokenException te ? te.kind().name() : "INTERNAL";
            json(res.setStatusCode(503), new JsonObject().put("error", "no_token").put("kind", kind));
        });
    }

    private static JsonObject tokenBody(AccessToken t, Instant now) {
        return new JsonObject()
                .put("access_token", t.value().reveal())
                .put("token_type", t.tokenType())
                .put("expires_at", t.expiresAt().toString())
                .put("expires_in", Math.max(0, Duration.between(now, t.expiresAt()).toSeconds()));
    }

    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
        byte[] expected = config.tokenEndpointSecret().reveal().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(presented, expected);
    }

    // ------------------------------------------------------------------------------------------
    // Header timeout

    private void connected(HttpConnection connection) {
        HeaderDeadline deadline = new HeaderDeadline(connection, vertx.getOrCreateContext());
        deadlines.put(connection, deadline);
        connection.closeHandler(v -> {
            deadline.cancel();
            deadlines.remove(connection);
        });
        deadline.arm();
    }

    /**
     * The time one connection has to deliver its next request's line and headers: armed when the
     * connection opens and whenever its last outstanding response ends, cancelled when a request
     * arrives (Vert.x calls the request handler once the headers are parsed), and fatal to the
     * connection when it fires. Vert.x has only an idle timeout, which a client trickling one
     * byte at a time keeps resetting. Confined to the connection's event loop: a response may end
     * on another thread (a token completes on the manager's), so that news is passed to the loop.
     */
    private final class HeaderDeadline {
        private final HttpConnection connection;
        private final Context loop;
        private long timer = -1;
        private int outstanding;

        HeaderDeadline(HttpConnection connection, Context loop) {
            this.connection = connection;
            this.loop = loop;
        }

        void arm() {
            cancel();
            timer = vertx.setTimer(config.headerTimeout().toMillis(), id -> {
                timer = -1;
                connection.close();
            });
        }

        void requestArrived() {
            outstanding++;
            cancel();
        }

        void responseEnded() {
            loop.runOnContext(v -> {
                if (--outstanding <= 0) {
                    outstanding = 0;
                    arm();
                }
            });
        }

        void cancel() {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Shutdown

    /**
     * Stops gracefully: readiness answers 503 at once, the server stops accepting and lets in-flight
     * requests finish for up to the configured grace, then everything closes. Idempotent.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        if (keepWarmTimer >= 0) {
            vertx.cancelTimer(keepWarmTimer);
        }
        long grace = config.shutdownGrace().toMillis();
        // the proxy's routes drain alongside the server, within the same grace
        CompletableFuture<Void> proxiesClosed = CompletableFuture.runAsync(() -> proxies.close(config.shutdownGrace()));
        try {
            server.shutdown(grace, TimeUnit.MILLISECONDS).await(grace + 2_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("sidecar shutdown did not finish cleanly within {} ms ({}); closing anyway", grace,
                    e.getClass().getSimpleName());
        }
        proxiesClosed.join();
        deadlines.values().forEach(HeaderDeadline::cancel); // the Vert.x outlives the server: no timer may stay behind
        // an acquisition in flight would otherwise meet a closed store and endpoint (and log it as a failure)
        try {
            CompletableFuture.allOf(warming.toArray(CompletableFuture[]::new)).get(Math.max(grace, 1), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // failures are swallowed above; a timeout means the grace is spent: close anyway
        }
        try {
            probes.close().await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // best effort: the process is stopping
        }
        if (sinks != null) {
            sinks.close(); // before the tokenkeeper: honours each sink's on-shutdown
        }
        if (ownsTokenkeeper) {
            tk.close();
            registry.close();
        }
    }
}
