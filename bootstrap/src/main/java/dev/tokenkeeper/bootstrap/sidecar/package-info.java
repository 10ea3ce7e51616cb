/**
 * The sidecar: a small Vert.x HTTP server in front of a running tokenkeeper, for processes that
 * cannot embed the library and for operators. {@code GET /auth/status} (never a token),
 * {@code /health/live}, {@code /health/ready}, {@code /metrics} (Prometheus), and an opt-in
 * {@code GET /token/{client}} guarded by a bearer secret. Binds to loopback unless told otherwise.
 */
package dev.tokenkeeper.bootstrap.sidecar;
