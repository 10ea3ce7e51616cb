package dev.tokenkeeper.application;

import java.time.Duration;

/** Counts nothing: {@link StatsCounter#disabled()}. */
enum DisabledStatsCounter implements StatsCounter {
    INSTANCE;

    private static final ManagerStats ZERO = new ManagerStats(0, 0, 0, 0, 0, 0, Duration.ZERO);

    @Override
    public void recordHits(int count) {}

    @Override
    public void recordMisses(int count) {}

    @Override
    public void recordStoreHit() {}

    @Override
    public void recordAcquisitionSuccess(long nanos) {}

    @Override
    public void recordAcquisitionFailure(long nanos) {}

    @Override
    public void recordBackgroundRefresh() {}

    @Override
    public ManagerStats snapshot() {
        return ZERO;
    }
}
