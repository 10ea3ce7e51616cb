package dev.tokenkeeper.application;

import java.time.Duration;

/**
 * Counters of a {@link TokenManager} since it started, as its {@link StatsCounter} reports them.
 * Immutable.
 *
 * @param hits calls served from the near cache (0 unless {@code recordHits} is on)
 * @param misses calls that found no servable token in the near cache
 * @param storeHits misses served from the store
 * @param acquisitions flights that got a token from the identity provider
 * @param failures flights that failed for good
 * @param backgroundRefreshes refreshes started while a token was still servable
 * @param totalAcquisitionTime the time those acquisitions and failures took, from the start of
 *     their flight (store reads, lease waits, every attempt) to its outcome
 */
public record ManagerStats(
        long hits,
        long misses,
        long storeHits,
        long acquisitions,
        long failures,
        long backgroundRefreshes,
        Duration totalAcquisitionTime) {

    /** The mean time of an acquisition or failure, zero if there was none. */
    public Duration averageAcquisitionTime() {
        long n = acquisitions + failures;
        return n == 0 ? Duration.ZERO : totalAcquisitionTime.dividedBy(n);
    }
}
