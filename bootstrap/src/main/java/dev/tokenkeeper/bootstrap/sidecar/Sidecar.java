package dev.tokenkeeper.bootstrap.sidecar;

import dev.tokenkeeper.bootstrap.LoggingEventListener;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.bootstrap.metrics.TokenMetrics;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.port.StoreKey;
import dev.tokenkeeper.domain.port.TokenEvent;
import dev.tokenkeeper.domain.port.TokenStatus;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar HTTP server in front of a running {@link Tokenkeeper}.
 *
 * <ul>
 *   <li>{@code GET /auth/status}: per configured client {@code has_token}, {@code expires_at},
 *       {@code expires_in_seconds}, {@code is_valid}, {@code refresh_at}, {@code freshness},
 *       {@code source} (idp or store), {@code last_error} (a failure kind) and {@code circuit}
 *       (the breaker state). Never a token.</li>
 *   <li>{@code GET /health/live}: 200 while the server runs.</li>
 *   <li>{@code GET /health/ready}: 200 when the store answers and every client has a valid token or
 *       a reachable identity provider (breaker not open, TCP connect to the token URL succeeds);
 *       503 otherwise and during shutdown. The body says which check failed.</li>
 *   <li>{@code GET /metrics}: every meter in the Prometheus text format.</li>
 *   <li>{@code GET /token/{client}}: only when {@link SidecarConfig#tokenEndpointEnabled()}; the
 *       caller must send {@code Authorization: Bearer <secret>}. Answers
 *       {@code {"access_token","token_type","expires_at","expires_in"}} with {@code Cache-Control: no-store}.</li>
 * </ul>
 *
 * <p>Nothing blocks an event loop: tokens are awaited asynchronously and the store probe runs on a
 * worker thread. The server writes no access log (a log line must never see a bearer header).
 * {@link #close()} is graceful: readiness turns 503 at once, the server stops accepting, in-flight
 * requests get {@link SidecarConfig#shutdownGrace()} to finish, then the tokenkeeper closes.
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
    private final NetClient probes;
    private final HttpServer server;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final long keepWarmTimer;

    private Sidecar(Tokenkeeper tk, boolean owns, SidecarConfig config, PrometheusMeterRegistry registry, InstantSource clock) {
        this.tk = tk;
        this.ownsTokenkeeper = owns;
        this.config = config;
        this.registry = registry;
        this.clock = clock;
        tk.config().clientList().forEach(c -> keys.put(c.name(), c.key()));
        this.vertx = Vertx.vertx();
        this.probes = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) PROBE_TIMEOUT.toMillis()));
        this.server = vertx.createHttpServer(new HttpServerOptions()
                .setHost(config.host())
                .setPort(config.port())
                .setMaxInitialLineLength(2048)
                .setMaxHeaderSize(8192));
        server.requestHandler(this::handle);
        try {
            server.listen().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("the sidecar cannot listen on " + config.host() + ":" + config.port()
                    + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
        if (config.keepWarm()) {
            keepWarm();
            keepWarmTimer = vertx.setPeriodic(KEEP_WARM_INTERVAL.toMillis(), id -> keepWarm());
        } else {
            keepWarmTimer = -1;
        }
    }

    /**
     * Assembles a tokenkeeper from {@code loaded} with logs and metrics, and serves it. The sidecar
     * owns the tokenkeeper: {@link #close()} closes it.
     */
    public static Sidecar launch(SidecarConfig.Loaded loaded, InstantSource clock) {
        TokenkeeperConfig config = loaded.config();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TokenMetrics metrics = new TokenMetrics(registry, config.clients().keySet());
        Tokenkeeper tk = Tokenkeeper.start(config, new LoggingEventListener().andThen(metrics), clock, true);
        try {
            Map<String, TokenKey> keys = new LinkedHashMap<>();
            config.clientList().forEach(c -> keys.put(c.name(), c.key()));
            metrics.bind(tk.manager(), keys, clock);
            return new Sidecar(tk, true, loaded.sidecar(), registry, clock);
        } catch (RuntimeException e) {
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
                Objects.requireNonNull(registry, "registry"), Objects.requireNonNull(clock, "clock"));
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

    /** The tokenkeeper served. */
    public Tokenkeeper tokenkeeper() {
        return tk;
    }

    private void keepWarm() {
        keys.values().forEach(key -> tk.provider().tokenAsync(key).exceptionally(e -> null));
    }

    // ------------------------------------------------------------------------------------------
    // Routing

    private void handle(HttpServerRequest req) {
        HttpServerResponse res = req.response();
        res.putHeader("Cache-Control", "no-store");
        String path = req.path();
        if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
            res.putHeader("Allow", "GET").setStatusCode(405);
            json(res, new JsonObject().put("error", "method_not_allowed"));
            return;
        }
        try {
            switch (path) {
                case "/auth/status" -> json(res.setStatusCode(200), status());
                case "/health/live" -> json(res.setStatusCode(closing.get() ? 503 : 200),
                        new JsonObject().put("status", closing.get() ? "STOPPING" : "UP"));
                case "/health/ready" -> ready(res);
                case "/metrics" -> res.putHeader("Content-Type", PROMETHEUS_TEXT).end(registry.scrape());
                default -> {
                    if (path.startsWith("/token/")) {
                        token(req, res, path.substring("/token/".length()));
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

    private static void json(HttpServerResponse res, JsonObject body) {
        res.putHeader("Content-Type", "application/json").end(body.encodePrettily() + "\n");
    }

    // ------------------------------------------------------------------------------------------
    // /auth/status

    /** The status document: one object per configured client, never a token. */
    JsonObject status() {
        JsonObject clients = new JsonObject();
        Instant now = clock.instant();
        keys.forEach((name, key) -> clients.put(name, clientStatus(tk.provider().status(key), tk.manager().circuitState(name), now)));
        return new JsonObject().put("clients", clients);
    }

    static JsonObject clientStatus(TokenStatus s, TokenEvent.CircuitState circuit, Instant now) {
        Long secondsLeft = s.hasToken() && s.expiresAt() != null
                ? Math.max(0, Duration.between(now, s.expiresAt()).toSeconds())
                : null;
        return new JsonObject()
                .put("has_token", s.hasToken())
                .put("expires_at", s.hasToken() && s.expiresAt() != null ? s.expiresAt().toString() : null)
                .put("expires_in_seconds", secondsLeft)
                .put("is_valid", s.isValid())
                .put("refresh_at", s.hasToken() && s.refreshAt() != null ? s.refreshAt().toString() : null)
                .put("freshness", s.freshness() == null ? null : s.freshness().name().toLowerCase(Locale.ROOT))
                .put("source", s.source() == null ? null : s.source().name().toLowerCase(Locale.ROOT))
                .put("last_error", s.lastError() == null ? null : s.lastError().name())
                .put("circuit", circuit.name().toLowerCase(Locale.ROOT));
    }

    // ------------------------------------------------------------------------------------------
    // /health/ready

    private void ready(HttpServerResponse res) {
        if (closing.get()) {
            json(res.setStatusCode(503), new JsonObject().put("status", "STOPPING"));
            return;
        }
        Future<String> store = vertx.executeBlocking(() -> {
            tk.store().load(PROBE_KEY);
            return "UP";
        }, false).timeout(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).otherwise(e -> "DOWN");
        Map<String, Future<String>> clients = new LinkedHashMap<>();
        keys.forEach((name, key) -> clients.put(name, clientReadiness(name, key)));
        List<Future<String>> all = new ArrayList<>(clients.values());
        all.add(store);
        Future.join(all).onComplete(done -> {
            JsonObject checks = new JsonObject().put("store", store.result());
            JsonObject perClient = new JsonObject();
            boolean up = "UP".equals(store.result());
            for (Map.Entry<String, Future<String>> e : clients.entrySet()) {
                String state = e.getValue().result();
                perClient.put(e.getKey(), state);
                up &= !"DOWN".equals(state);
            }
            checks.put("clients", perClient);
            json(res.setStatusCode(up ? 200 : 503), new JsonObject().put("status", up ? "UP" : "DOWN").put("checks", checks));
        });
    }

    /** "token" if a valid token is held, "idp_reachable" if the IdP can be reached, else "DOWN". */
    private Future<String> clientReadiness(String name, TokenKey key) {
        if (tk.provider().status(key).isValid()) {
            return Future.succeededFuture("token");
        }
        if (tk.manager().circuitState(name) == TokenEvent.CircuitState.OPEN) {
            return Future.succeededFuture("DOWN");
        }
        URI url = tk.config().clients().get(name).tokenUrl();
        int port = url.getPort() != -1 ? url.getPort() : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
        return probes.connect(port, url.getHost())
                .compose(socket -> socket.close().map("idp_reachable"))
                .otherwise(e -> "DOWN");
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
        TokenKey key = keys.get(client);
        if (key == null) {
            json(res.setStatusCode(404), new JsonObject().put("error", "unknown_client"));
            return;
        }
        tk.provider().tokenAsync(key).whenComplete((token, error) -> {
            if (error == null) {
                res.putHeader("Pragma", "no-cache");
                json(res.setStatusCode(200), tokenBody(token, clock.instant()));
                return;
            }
            Throwable cause = error.getCause() != null && !(error instanceof TokenException) ? error.getCause() : error;
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
        try {
            server.shutdown(grace, TimeUnit.MILLISECONDS).await(grace + 2_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("sidecar shutdown did not finish cleanly within {} ms ({}); closing anyway", grace,
                    e.getClass().getSimpleName());
        }
        try {
            vertx.close().await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // best effort: the process is stopping
        }
        if (ownsTokenkeeper) {
            tk.close();
            registry.close();
        }
    }
}
