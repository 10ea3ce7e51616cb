/**
 * tokenkeeper for embedding: {@link dev.tokenkeeper.bootstrap.Tokenkeeper}, the one entry point,
 * assembles a token manager from a {@link dev.tokenkeeper.bootstrap.TokenkeeperConfig}, which
 * {@link dev.tokenkeeper.bootstrap.TokenkeeperConfig#from} reads from
 * {@link dev.tokenkeeper.bootstrap.Settings} (a properties file and the environment, or a map) with
 * one parser for every section, the sidecar's ({@link dev.tokenkeeper.bootstrap.SidecarConfig})
 * included. Events become SLF4J log lines. Depends on the SLF4J API only: the logging backend, JDBC
 * drivers and metrics registry are the application's (the runnable module brings its own).
 */
package dev.tokenkeeper.bootstrap;
