/**
 * The HTTP adapter: {@code VertxTokenEndpoint} (the domain's {@code TokenEndpoint} over a Vert.x
 * web client) and {@code AuthenticatedWebClient}.
 *
 * <p>Vert.x types ({@code Vertx}, {@code WebClient}, {@code Future}, {@code HttpResponse}) appear in
 * the builders and in {@code AuthenticatedWebClient}, so Vert.x core and its web client are
 * re-exported to users; Vert.x web-common and Netty are used inside only.
 */
module dev.tokenkeeper.adapter.http {
    requires transitive dev.tokenkeeper.domain;
    requires transitive io.vertx.core;
    requires transitive io.vertx.web.client;
    // the body codec that caps a token response's size; no web-common type is in our API
    requires io.vertx.web.common;
    requires io.netty.transport;
    // DPoP proofs and JWK thumbprints; DpopProofs exposes its JWK type
    requires transitive com.nimbusds.jose.jwt;

    exports dev.tokenkeeper.adapter.http;
}
