/**
 * The tokenkeeper core: {@link dev.tokenkeeper.application.TokenManager} (near cache, single-flight
 * acquisition, cluster lease, background refresh) and sealing of tokens before any store sees them
 * ({@link dev.tokenkeeper.application.SealingKeys}). Depends on the domain only; vendor types of
 * the adapters never appear here.
 */
package dev.tokenkeeper.application;
