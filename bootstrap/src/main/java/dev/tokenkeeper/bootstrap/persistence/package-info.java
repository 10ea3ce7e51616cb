/**
 * Keeping tokens across runs on one machine: the embedded H2 file the CLI uses by default
 * ({@link dev.tokenkeeper.bootstrap.persistence.LocalStore}), its owner-only directory, file and
 * sealing-key file, and the store specifications the {@code copy} and {@code schema} commands
 * open ({@link dev.tokenkeeper.bootstrap.persistence.StoreSpec}).
 */
package dev.tokenkeeper.bootstrap.persistence;
