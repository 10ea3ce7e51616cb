package dev.tokenkeeper.application;

/**
 * Receives what a {@link TokenManager} counts, and makes its {@link ManagerStats} snapshot: the
 * pluggable statistics of the manager, modelled on Caffeine's {@code StatsCounter}. Plug one in
 * with {@link TokenManager.Builder#stats(StatsCounter)} to export counts elsewhere (a metrics
 * registry); the default is a {@link ConcurrentStatsCounter}, and {@link #disabled()} counts nothing.
 *
 * <p>Implementations must be thread-safe, fast and must not throw: {@link #recordHits} runs on the
 * hot path (only when {@link TokenManager.Builder#recordHits(boolean)} is on) and must neither
 * block nor allocate; the others run on the manager's threads once per miss or flight.
 */
public interface StatsCounter {

    /** {@code count} calls were served from the near cache. */
    void recordHits(int count);

    /** {@code count} calls found no servable token in the near cache. */
    void recordMisses(int count);

    /** A miss was served from the shared store. */
    void recordStoreHit();

    /** A flight got a token from the identity provider, {@code nanos} after it started. */
    void recordAcquisitionSuccess(long nanos);

    /** A flight failed for good, {@code nanos} after it started. */
    void recordAcquisitionFailure(long nanos);

    /** A refresh started while the key's token was still servable. */
    void recordBackgroundRefresh();

    /** The counts so far; a snapshot, not a view. */
    ManagerStats snapshot();

    /** A counter that counts nothing; its snapshot is all zeros. */
    static StatsCounter disabled() {
        return DisabledStatsCounter.INSTANCE;
    }
}
