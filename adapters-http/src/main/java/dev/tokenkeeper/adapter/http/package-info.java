/**
 * The HTTP adapter of the {@link dev.tokenkeeper.domain.port.TokenEndpoint} port, on Vert.x Web
 * Client 5: {@link dev.tokenkeeper.adapter.http.VertxTokenEndpoint} runs OAuth 2.0 grants
 * (RFC 6749) and token revocation (RFC 7009) against an identity provider's token endpoint,
 * validates what comes back, and maps every failure to a
 * {@link dev.tokenkeeper.domain.FailureKind}.
 *
 * <p>The public API is {@link dev.tokenkeeper.adapter.http.VertxTokenEndpoint} with its builder,
 * {@link dev.tokenkeeper.adapter.http.ClientAuthentication} and
 * {@link dev.tokenkeeper.adapter.http.TokenResponseValidator}. Everything else here is
 * package-private implementation. No Vert.x type appears in a port method's signature; Vert.x types
 * appear only in the builder, for callers that want to share their own {@code Vertx} or
 * {@code WebClient}.
 *
 * <p>No secret (client secret, access token, refresh token, a grant's credentials) ever appears in
 * an exception message or a {@code toString}; text the server sends back ({@code error_description})
 * is included only after control characters are removed, its length is capped and every known
 * secret value is replaced by {@code [redacted]}.
 */
package dev.tokenkeeper.adapter.http;
