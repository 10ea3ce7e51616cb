package dev.tokenkeeper.integration.tck;

import dev.tokenkeeper.adapter.http.AuthenticatedWebClient;
import dev.tokenkeeper.adapter.http.DpopProofs;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenProvider;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.net.URI;
import java.util.concurrent.TimeUnit;

/**
 * The client contract for the Vert.x {@link AuthenticatedWebClient} (adapters-http), the same cases
 * as every other client integration. It lives here because the kit depends on the bootstrap, which
 * depends on adapters-http: adapters-http's own tests cannot use the kit. Vert.x sends only buffered
 * bodies (a stream is refused), so every body is repeatable.
 */
class VertxAuthenticatedWebClientContractTest extends AuthenticatedClientContractKit {

    @Override
    protected boolean hasOneShotBodies() {
        return false;
    }

    @Override
    protected Driver driver(TokenProvider tokens, TokenKey key) {
        return driver(tokens, key, null);
    }

    /** As an application builds it: with the client's DPoP key ({@code Builder.dpop}) when it has one. */
    @Override
    protected Driver driver(Tokenkeeper tokenkeeper, String client) {
        return driver(tokenkeeper.provider(), tokenkeeper.key(client), tokenkeeper.config().clients().get(client).dpop());
    }

    private Driver driver(TokenProvider tokens, TokenKey key, DpopProofs dpop) {
        Vertx vertx = Vertx.vertx();
        // Vert.x keeps 5 connections per server by default; the concurrency case holds 32 answers at once
        WebClient web = WebClient.create(vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(64));
        AuthenticatedWebClient.Builder b = AuthenticatedWebClient.builder(web, tokens, key);
        if (dpop != null) {
            b.dpop(dpop);
        }
        AuthenticatedWebClient client = b.build();
        return new Driver() {
            @Override
            public Reply get(URI uri) throws Exception {
                return reply(client.get(uri.toString()));
            }

            @Override
            public Reply post(URI uri, String body, boolean repeatable) throws Exception {
                return reply(client.sendBuffer(client.requestAbs(HttpMethod.POST, uri.toString())
                        .putHeader("Content-Type", "text/plain"), Buffer.buffer(body)));
            }

            @Override
            public void close() throws Exception {
                web.close();
                vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        };
    }

    private static Reply reply(Future<HttpResponse<Buffer>> answer) throws Exception {
        HttpResponse<Buffer> r = answer.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        return new Reply(r.statusCode(), r.bodyAsString() == null ? "" : r.bodyAsString());
    }
}
