/**
 * The wiring of tokenkeeper: configuration from environment variables and a properties file
 * ({@link dev.tokenkeeper.bootstrap.Settings}, {@link dev.tokenkeeper.bootstrap.TokenkeeperConfig}),
 * assembly of a manager from chosen adapters ({@link dev.tokenkeeper.bootstrap.Tokenkeeper}), and
 * events turned into log lines. The only module that knows every adapter.
 */
package dev.tokenkeeper.bootstrap;
