/**
 * The tokenkeeper core: {@link dev.tokenkeeper.application.TokenManager} (near cache, single-flight
 * acquisition, cluster lease, background refresh) and sealing of tokens before any store sees them
 * ({@link dev.tokenkeeper.application.SealingKeys}). Depends on the domain only; vendor types of
 * the adapters never appear here.
 *
 * <p>Behind {@code TokenManager}'s public face the core is made of package-private collaborators,
 * each owning one thing: {@code NearCache} (the per-key states, the hot path, eviction of idle keys),
 * {@code SingleFlight} (the only code that completes a flight),
 * {@code Acquisition} (one flight's steps, as a future), {@code SharedTier} (none or a sealed store),
 * {@code LeaseCoordinator} (the cluster lease walk), {@code GrantRunner} (which grant, dating, late
 * answers), {@code FailureMemory} (back-off and remembered permanent failures) and
 * {@code RefreshSweeper} (proactive refresh and eviction). Statistics are pluggable through the public
 * {@link dev.tokenkeeper.application.StatsCounter}; docs/ARCHITECTURE.md draws the request path
 * through them.
 */
package dev.tokenkeeper.application;
