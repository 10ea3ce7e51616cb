package dev.tokenkeeper.application;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The manager's worker executor and scheduler: the given ones, or daemon threads of its own, which
 * {@link #shutdown()} stops (given ones are the giver's to stop).
 */
final class OwnedThreads {
    final Executor executor;
    final ScheduledExecutorService scheduler;
    private final ExecutorService ownedExecutor;
    private final ScheduledExecutorService ownedScheduler;

    OwnedThreads(Executor given, ScheduledExecutorService givenScheduler) {
        this.ownedExecutor = given == null ? Executors.newCachedThreadPool(daemon("tokenkeeper-worker")) : null;
        this.executor = given != null ? given : ownedExecutor;
        this.ownedScheduler = givenScheduler == null
                ? Executors.newSingleThreadScheduledExecutor(daemon("tokenkeeper-scheduler"))
                : null;
        this.scheduler = givenScheduler != null ? givenScheduler : ownedScheduler;
    }

    /** Stops the threads this manager made. */
    void shutdown() {
        if (ownedScheduler != null) {
            ownedScheduler.shutdownNow();
        }
        if (ownedExecutor != null) {
            ownedExecutor.shutdownNow();
        }
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
