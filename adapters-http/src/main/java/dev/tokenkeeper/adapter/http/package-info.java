/**
 * The HTTP adapters, on Vert.x Web Client 5.
 *
 * <ul>
 *   <li>{@link dev.tokenkeeper.adapter.http.VertxTokenEndpoint}, of the
 *       {@link dev.tokenkeeper.domain.spi.TokenEndpoint} port, runs OAuth 2.0 grants (RFC 6749) and
 *       token revocation (RFC 7009) against an identity provider's token endpoint, validates what
 *       comes back, and maps every failure to a {@link dev.tokenkeeper.domain.FailureKind}.</li>
 *   <li>{@link dev.tokenkeeper.adapter.http.AuthenticatedWebClient}, on the caller's side of the
 *       {@link dev.tokenkeeper.domain.api.TokenProvider} port, decorates a {@code WebClient}: it adds
 *       the Bearer token to each request and, when a resource server rejects the token, drops it,
 *       gets a fresh one and replays the request once. The token goes only to the origin the caller
 *       addressed: a redirect elsewhere is followed without it.</li>
 * </ul>
 *
 * <p>The public API is {@link dev.tokenkeeper.adapter.http.VertxTokenEndpoint} with its builder,
 * {@link dev.tokenkeeper.adapter.http.AuthenticatedWebClient} with its builder,
 * {@link dev.tokenkeeper.adapter.http.ClientAuthentication} and
 * {@link dev.tokenkeeper.adapter.http.TokenResponseValidator}. Everything else here is
 * package-private implementation. No Vert.x type appears in a port method's signature; Vert.x types
 * appear only in the endpoint's builder, for callers that want to share their own {@code Vertx} or
 * {@code WebClient}, and in the decorator, which is a Vert.x client by nature.
 *
 * <p>No secret (client secret, access token, refresh token, a grant's credentials) ever appears in
 * an exception message or a {@code toString}; text the server sends back ({@code error_description})
 * is included only after every known secret value, in whatever encoding it was echoed, is replaced
 * by {@code [redacted]}, control characters are removed and its length is capped. URLs in messages
 * show no user info.
 */
package dev.tokenkeeper.adapter.http;
