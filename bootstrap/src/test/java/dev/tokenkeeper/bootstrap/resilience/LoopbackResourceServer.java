package dev.tokenkeeper.bootstrap.resilience;

import dev.tokenkeeper.fakeidp.FakeIdp;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A protected API on 127.0.0.1 (a Vert.x HTTP server): it accepts a Bearer token that the
 * {@link FakeIdp} issued and that has not been revoked, or the configured API key,
 * and answers 401 with {@code WWW-Authenticate: Bearer error="invalid_token"} otherwise. It can hold
 * its 401s until a number of them are pending, so that many requests are rejected with one token at
 * the same moment. Thread-safe.
 */
final class LoopbackResourceServer implements AutoCloseable {

    private final FakeIdp idp;
    private final String apiKey;
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final List<String> apiKeys = new CopyOnWriteArrayList<>();
    private final List<HttpServerRequest> held = new ArrayList<>();
    private final AtomicInteger rejections = new AtomicInteger();
    private final HttpServer server;
    private int holdUntil;

    LoopbackResourceServer(Vertx vertx, FakeIdp idp, String apiKey) throws Exception {
        this.idp = idp;
        this.apiKey = apiKey;
        this.server = vertx.createHttpServer().requestHandler(this::handle);
        server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture()
                .get(Fixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.actualPort() + path;
    }

    /** From now on the token is refused, as after its revocation at the IdP. */
    void revoke(String token) {
        revoked.add(token);
    }

    /** The next {@code count} rejections are all sent together, once the last of them has arrived. */
    synchronized void holdRejections(int count) {
        holdUntil = count;
    }

    synchronized void resetCounts() {
        authorizations.clear();
        apiKeys.clear();
        rejections.set(0);
    }

    private void handle(HttpServerRequest req) {
        String authorization = req.getHeader("Authorization");
        String key = req.getHeader("X-Api-Key");
        authorizations.add(String.valueOf(authorization));
        apiKeys.add(String.valueOf(key));
        boolean ok = apiKey.equals(key) || authorization != null && authorization.startsWith("Bearer ")
                && idp.issuedTokens().contains(authorization.substring(7)) && !revoked.contains(authorization.substring(7));
        if (ok) {
            req.response().setStatusCode(200).end("ok");
            return;
        }
        rejections.incrementAndGet();
        List<HttpServerRequest> release = List.of(req);
        synchronized (this) {
            if (holdUntil > 0) {
                held.add(req);
                if (held.size() < holdUntil) {
                    return;
                }
                release = List.copyOf(held);
                held.clear();
                holdUntil = 0;
            }
        }
        for (HttpServerRequest r : release) {
            r.response().setStatusCode(401)
                    .putHeader("WWW-Authenticate", "Bearer realm=\"orders\", error=\"invalid_token\"")
                    .end();
        }
    }

    int requestCount() {
        return authorizations.size();
    }

    int rejections() {
        return rejections.get();
    }

    List<String> authorizations() {
        return List.copyOf(authorizations);
    }

    List<String> apiKeys() {
        return List.copyOf(apiKeys);
    }

    @Override
    public void close() throws Exception {
        server.close().toCompletionStage().toCompletableFuture().get(Fixture.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }
}
