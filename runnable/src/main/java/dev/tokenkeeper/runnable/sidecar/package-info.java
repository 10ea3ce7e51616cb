/**
 * The sidecar: an HTTP server beside an application that serves status, health, metrics and,
 * when enabled, tokens, on the Vert.x instance of the {@link dev.tokenkeeper.bootstrap.Tokenkeeper}
 * it fronts. Its settings are {@link dev.tokenkeeper.bootstrap.SidecarConfig}.
 */
package dev.tokenkeeper.runnable.sidecar;
