/**
 * The ports of the hexagon. Driving side: {@link dev.tokenkeeper.domain.port.TokenProvider}, what
 * callers and HTTP decorators depend on. Driven side: {@link dev.tokenkeeper.domain.port.TokenEndpoint}
 * (run a grant against an identity provider), {@link dev.tokenkeeper.domain.port.TokenStore} (keep
 * sealed tokens and coordinate refreshes across a cluster) and
 * {@link dev.tokenkeeper.domain.port.TokenEventListener} (logs and metrics).
 */
package dev.tokenkeeper.domain.port;
