package dev.tokenkeeper.application;

import dev.tokenkeeper.testsupport.TestClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler on virtual time, with the {@link Ticker} that reads it: nothing runs until the test
 * {@link #advance advances} time, then every task that has come due runs on the test's thread, in
 * order, with the ticker set to its due time. Tasks scheduled meanwhile run too if they come due
 * within the advance. A periodic task (the manager's sweep) runs again each period while time moves.
 */
final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {

    private final PriorityQueue<Task<?>> queue = new PriorityQueue<>();
    /** A wall clock that moves with this scheduler's time, or null. */
    private final TestClock clock;
    private long clockMillisMoved;
    private long nowNanos;
    private long sequence;
    private boolean shutdown;

    /** A scheduler whose time moves alone (tests move the wall clock themselves). */
    ManualScheduler() {
        this(null);
    }

    /**
     * A scheduler that moves {@code clock} along with its own time, so that expiry (the clock),
     * elapsed time (the ticker) and delays (this) are one virtual time.
     */
    ManualScheduler(TestClock clock) {
        this.clock = clock;
    }

    /** Elapsed time as this scheduler sees it. */
    final Ticker ticker = this::now;

    synchronized long now() {
        return nowNanos;
    }

    /** Moves time on by {@code d}, running every task that comes due on the way. */
    void advance(Duration d) {
        long target;
        synchronized (this) {
            target = nowNanos + d.toNanos();
        }
        while (true) {
            Task<?> next;
            synchronized (this) {
                next = queue.peek();
                if (next == null || next.dueNanos > target) {
                    moveTo(target);
                    return;
                }
                queue.poll();
                moveTo(Math.max(nowNanos, next.dueNanos));
            }
            next.run();
        }
    }

    private void moveTo(long nanos) {
        nowNanos = nanos;
        if (clock != null) {
            long ms = nanos / 1_000_000 - clockMillisMoved;
            if (ms > 0) {
                clock.advance(java.time.Duration.ofMillis(ms));
                clockMillisMoved += ms;
            }
        }
    }

    /** Runs what is due now without moving time. */
    void runDue() {
        advance(Duration.ZERO);
    }

    synchronized int pending() {
        return queue.size();
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        return schedule(Executors.callable(command), delay, unit);
    }

    @Override
    public synchronized <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        if (shutdown) {
            throw new java.util.concurrent.RejectedExecutionException("shut down");
        }
        Task<V> t = new Task<>(callable, nowNanos + unit.toNanos(Math.max(0, delay)), sequence++, 0);
        queue.add(t);
        return t;
    }

    private synchronized ScheduledFuture<?> periodic(Runnable command, long initialDelay, long period, TimeUnit unit) {
        if (shutdown) {
            throw new java.util.concurrent.RejectedExecutionException("shut down");
        }
        Task<Object> t = new Task<>(Executors.callable(command), nowNanos + unit.toNanos(Math.max(0, initialDelay)),
                sequence++, Math.max(1, unit.toNanos(period)));
        queue.add(t);
        return t;
    }

    private synchronized void again(Task<?> t) {
        if (!shutdown && !t.isCancelled()) {
            t.dueNanos = nowNanos + t.periodNanos;
            t.seq = sequence++;
            queue.add(t);
        }
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        return periodic(command, initialDelay, period, unit); // nothing overruns on virtual time
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        return periodic(command, initialDelay, delay, unit);
    }

    @Override
    public void execute(Runnable command) {
        schedule(command, 0, TimeUnit.NANOSECONDS);
    }

    @Override
    public synchronized void shutdown() {
        shutdown = true;
    }

    @Override
    public synchronized List<Runnable> shutdownNow() {
        shutdown = true;
        List<Runnable> left = new ArrayList<>(queue);
        queue.clear();
        return left;
    }

    @Override
    public synchronized boolean isShutdown() {
        return shutdown;
    }

    @Override
    public synchronized boolean isTerminated() {
        return shutdown && queue.isEmpty();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return isTerminated();
    }

    private final class Task<V> extends FutureTask<V> implements ScheduledFuture<V> {
        /** Guarded by the scheduler's lock. */
        long dueNanos;
        long seq;
        final long periodNanos;

        Task(Callable<V> callable, long dueNanos, long seq, long periodNanos) {
            super(callable);
            this.dueNanos = dueNanos;
            this.seq = seq;
            this.periodNanos = periodNanos;
        }

        @Override
        public void run() {
            if (periodNanos == 0) {
                super.run();
            } else if (runAndReset()) {
                again(this);
            }
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - now(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            Task<?> other = (Task<?>) o;
            int c = Long.compare(dueNanos, other.dueNanos);
            return c != 0 ? c : Long.compare(seq, other.seq);
        }
    }
}
