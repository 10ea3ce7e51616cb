/**
 * What implementers implement: {@link dev.tokenkeeper.domain.spi.TokenEndpoint} (run a
 * {@link dev.tokenkeeper.domain.spi.Grant} against an identity provider) and
 * {@link dev.tokenkeeper.domain.spi.TokenStore} (keep {@link dev.tokenkeeper.domain.spi.SealedToken
 * sealed tokens} and coordinate refreshes across a cluster with a
 * {@link dev.tokenkeeper.domain.spi.Lease}). Callers never need this package.
 */
package dev.tokenkeeper.domain.spi;
