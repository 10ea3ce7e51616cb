package dev.tokenkeeper.application;

/**
 * Counters of a {@link TokenManager} since it started.
 *
 * @param hits calls served from the near cache (0 unless {@code recordHits} is on)
 * @param misses calls that found no servable token in the near cache
 * @param storeHits misses served from the store
 * @param acquisitions grants that produced a token
 * @param failures grants that failed for good
 * @param backgroundRefreshes refreshes started while a token was still servable
 */
public record ManagerStats(
        long hits, long misses, long storeHits, long acquisitions, long failures, long backgroundRefreshes) {}
