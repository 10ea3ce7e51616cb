package dev.tokenkeeper.application;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * The default {@link StatsCounter}: a {@link LongAdder} per count, so that many threads count
 * without contending. Thread-safe.
 */
public final class ConcurrentStatsCounter implements StatsCounter {
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder storeHits = new LongAdder();
    private final LongAdder acquisitions = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder backgroundRefreshes = new LongAdder();
    private final LongAdder acquisitionNanos = new LongAdder();

    /** A counter at zero. */
    public ConcurrentStatsCounter() {}

    @Override
    public void recordHits(int count) {
        hits.add(count);
    }

    @Override
    public void recordMisses(int count) {
        misses.add(count);
    }

    @Override
    public void recordStoreHit() {
        storeHits.increment();
    }

    @Override
    public void recordAcquisitionSuccess(long nanos) {
        acquisitions.increment();
        acquisitionNanos.add(Math.max(0, nanos));
    }

    @Override
    public void recordAcquisitionFailure(long nanos) {
        failures.increment();
        acquisitionNanos.add(Math.max(0, nanos));
    }

    @Override
    public void recordBackgroundRefresh() {
        backgroundRefreshes.increment();
    }

    @Override
    public ManagerStats snapshot() {
        return new ManagerStats(hits.sum(), misses.sum(), storeHits.sum(), acquisitions.sum(), failures.sum(),
                backgroundRefreshes.sum(), Duration.ofNanos(acquisitionNanos.sum()));
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}
