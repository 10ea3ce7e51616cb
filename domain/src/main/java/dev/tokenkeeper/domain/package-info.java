/**
 * The tokenkeeper domain: value types ({@link dev.tokenkeeper.domain.TokenKey},
 * {@link dev.tokenkeeper.domain.AccessToken}, {@link dev.tokenkeeper.domain.Secret}), the policies
 * that decide ({@link dev.tokenkeeper.domain.ExpiryPolicy}, {@link dev.tokenkeeper.domain.RetryStrategy})
 * and the failure model ({@link dev.tokenkeeper.domain.TokenException}).
 *
 * <p>This package depends on the JDK only; an ArchUnit rule keeps it that way.
 */
package dev.tokenkeeper.domain;
