package dev.tokenkeeper.application;

import java.util.Comparator;
import java.util.concurrent.PriorityBlockingQueue;

/**
 * The refresh points of installed entries, earliest first, so that the {@link RefreshSweeper} looks
 * only at keys that have become refresh-due instead of visiting every key every tick. An entry is
 * indexed when {@link SingleFlight} installs it (off the hot path); an indexed entry that was replaced,
 * invalidated or evicted since is dropped when it comes due. Thread-safe.
 */
final class RefreshIndex {

    /** One installed entry's refresh point. */
    record Due(long atMillis, KeyState state, Entry entry) {}

    private final PriorityBlockingQueue<Due> queue =
            new PriorityBlockingQueue<>(64, Comparator.comparingLong(Due::atMillis));

    /** Indexes {@code entry}, just installed for {@code s}. */
    void installed(KeyState s, Entry entry) {
        queue.add(new Due(entry.refreshAtMillis, s, entry));
    }

    /** Removes and returns the earliest point if it is due at {@code now}, else null. */
    Due pollDue(long now) {
        Due head = queue.peek();
        if (head == null || head.atMillis() > now) {
            return null;
        }
        Due d = queue.poll();
        if (d != null && d.atMillis() > now) { // another sweep took the head meanwhile: put this one back
            queue.add(d);
            return null;
        }
        return d;
    }

    /**
     * Drops the points of entries that were replaced, dropped or evicted once the index holds a
     * quarter more points than there are resident keys, so that evicted keys are not held until
     * their refresh point: the index stays within 1.25 times the near cache's size (plus a few), at
     * an amortised constant cost (a purge visits every point, and follows at least a quarter of the
     * resident count of new points or evictions).
     */
    void purgeIfLarge(NearCache cache) {
        int resident = cache.size();
        if (queue.size() > resident + resident / 4 + 64) {
            queue.removeIf(d -> d.state().entry.get() != d.entry() || cache.get(d.state().key) != d.state());
        }
    }

    /** How many refresh points are indexed (a test hook). */
    int size() {
        return queue.size();
    }
}
