/**
 * Keeping tokens across runs on one machine: the embedded H2 file the CLI uses by default
 * ({@link dev.tokenkeeper.runnable.localstore.LocalStore}, offered to configuration as
 * {@link dev.tokenkeeper.bootstrap.persistence.LocalFiles}), its owner-only directory, file and
 * sealing-key file, the check that nothing in a file runs when H2 opens it, and the store
 * specifications the {@code copy} and {@code schema} commands open
 * ({@link dev.tokenkeeper.runnable.localstore.StoreSpec}).
 */
package dev.tokenkeeper.runnable.localstore;
