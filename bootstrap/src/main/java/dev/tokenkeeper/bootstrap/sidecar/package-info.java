/**
 * The sidecar's settings ({@link dev.tokenkeeper.bootstrap.sidecar.SidecarConfig}), read from the
 * same configuration as the rest; the server itself is tokenkeeper-runnable's.
 */
package dev.tokenkeeper.bootstrap.sidecar;
