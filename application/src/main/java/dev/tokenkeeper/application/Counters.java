package dev.tokenkeeper.application;

import java.util.concurrent.atomic.LongAdder;

/** The manager's counters since start ({@link ManagerStats}). Thread-safe. */
final class Counters {
    /** Read by the hot path directly (a field of the manager), so counting hits costs no extra indirection. */
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder storeHits = new LongAdder();
    final LongAdder acquisitions = new LongAdder();
    final LongAdder failures = new LongAdder();
    final LongAdder backgroundRefreshes = new LongAdder();

    ManagerStats snapshot() {
        return new ManagerStats(hits.sum(), misses.sum(), storeHits.sum(), acquisitions.sum(), failures.sum(),
                backgroundRefreshes.sum());
    }
}
