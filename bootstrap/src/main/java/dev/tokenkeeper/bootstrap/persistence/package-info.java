/**
 * Stores as configuration opens them: a store URL split from its password
 * ({@link dev.tokenkeeper.bootstrap.persistence.StoreUrl}), a store that reconnects when it was down
 * at start ({@link dev.tokenkeeper.bootstrap.persistence.ReconnectingStore}), and the
 * {@link dev.tokenkeeper.bootstrap.persistence.LocalFiles} service through which
 * {@code store.type=file} reaches the local token file of tokenkeeper-runnable.
 */
package dev.tokenkeeper.bootstrap.persistence;
