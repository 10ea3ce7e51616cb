package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.benchmarks.Contenders.Env;
import dev.tokenkeeper.benchmarks.Contenders.Library;
import dev.tokenkeeper.fakeidp.FakeIdp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The stampede / outage harness: {@code instances} library instances (one per simulated pod) with
 * {@code threads} caller threads each, all starting at once on a cold cache and calling for a token
 * every {@code pace} for {@code lifetimes} token lifetimes, against a {@link FakeIdp} with a fixed
 * latency, optionally refusing every request for a window.
 *
 * <p>Measured: token requests at the IdP (against the ideal of one per lifetime per token holder),
 * failed calls, tokens handed out that the IdP already considered expired at that moment, and the
 * caller latency (p50/p99/max) of every call, plus the same for calls made while a token request was
 * in flight at the IdP (i.e. during a refresh). Every loop is bounded by the deadline and by a
 * sample-count cap; callers still blocked in a library call after the deadline are waited for at most
 * {@link #STRAGGLER_WAIT} and then interrupted and reported.
 */
public final class Simulation {

    /** How long to wait for callers blocked inside a library call when the run ends. */
    static final Duration STRAGGLER_WAIT = Duration.ofSeconds(40);

    /**
     * One scenario.
     *
     * @param instances simulated application instances
     * @param threads caller threads per instance
     * @param lifetime the token lifetime the IdP grants
     * @param lifetimes how many lifetimes the run lasts
     * @param latency the IdP's answer latency
     * @param pace the pause between one caller's calls
     * @param outageStart when the outage starts, in lifetimes from the run's start (ignored without one)
     * @param outageLength the outage's length in lifetimes; 0 for none
     */
    public record Scenario(int instances, int threads, Duration lifetime, int lifetimes, Duration latency, Duration pace,
            double outageStart, double outageLength) {

        Duration run() {
            return lifetime.multipliedBy(lifetimes);
        }

        String describe() {
            String s = instances + " instances × " + threads + " threads, token lifetime " + lifetime.toSeconds() + " s, "
                    + lifetimes + " lifetimes (" + run().toSeconds() + " s), IdP latency " + latency.toMillis()
                    + " ms, each caller calls every " + pace.toNanos() / 1000 + " µs";
            if (outageLength > 0) {
                s += ", IdP answers 503 from " + outageStart + " L to " + (outageStart + outageLength) + " L";
            }
            return s;
        }
    }

    /** What one run measured. */
    public record Result(Library library, Scenario scenario, long requests, long ideal, long calls, long failed,
            long expired, Samples latency, Samples duringRefresh, long refusedDuringOutage, long newestRemainingAtOutageMillis,
            int stragglers, String error) {

        /** Token requests per lifetime per token holder (1.0 is the ideal). */
        public double perLifetimePerHolder() {
            long holders = library.shared ? 1 : scenario.instances();
            return requests / (double) holders / scenario.lifetimes();
        }
    }

    private Simulation() {}

    /** Runs {@code scenario} for {@code library}; never throws: a setup failure is reported in the result. */
    public static Result run(Library library, Scenario sc, FakeIdp idp, Env env) {
        idp.resetCounts();
        idp.latency(sc.latency());
        List<TokenSource> sources = new ArrayList<>();
        try {
            for (int i = 0; i < sc.instances(); i++) {
                sources.add(Contenders.create(library, env));
            }
        } catch (RuntimeException | LinkageError e) {
            sources.forEach(TokenSource::close);
            return failedSetup(library, sc, e);
        }
        try {
            return drive(library, sc, idp, sources);
        } finally {
            sources.forEach(s -> {
                try {
                    s.close();
                } catch (RuntimeException ignored) {
                    // end of run
                }
            });
        }
    }

    private static Result failedSetup(Library library, Scenario sc, Throwable e) {
        return new Result(library, sc, 0, 0, 0, 0, 0, new Samples(), new Samples(), 0, 0, 0,
                e.getClass().getSimpleName() + ": " + e.getMessage());
    }

    private static Result drive(Library library, Scenario sc, FakeIdp idp, List<TokenSource> sources) {
        long runNanos = sc.run().toNanos();
        long paceNanos = sc.pace().toNanos();
        int cap = (int) Math.min(2_000_000, runNanos / Math.max(paceNanos, 1) + 1_000);
        Samples all = new Samples();
        Samples refreshing = new Samples();
        AtomicLong calls = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong expired = new AtomicLong();
        CountDownLatch ready = new CountDownLatch(sc.instances() * sc.threads());
        CountDownLatch go = new CountDownLatch(1);
        long[] deadline = new long[1];
        List<Thread> threads = new ArrayList<>();
        for (TokenSource source : sources) {
            for (int t = 0; t < sc.threads(); t++) {
                Thread th = new Thread(() -> {
                    long[] lat = new long[cap];
                    long[] during = new long[cap];
                    int n = 0;
                    int d = 0;
                    long myFailed = 0;
                    long myExpired = 0;
                    boolean hadToken = false;
                    ready.countDown();
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    long end = deadline[0];
                    try {
                        while (n < cap && !Thread.currentThread().isInterrupted()) {
                            boolean refresh = hadToken && idp.inFlight() > 0;
                            long t0 = System.nanoTime();
                            if (t0 - end >= 0) {
                                break;
                            }
                            long t1;
                            try {
                                String token = source.token();
                                t1 = System.nanoTime();
                                if (System.currentTimeMillis() >= FakeIdp.expiresAtOf(token)) {
                                    myExpired++;
                                }
                                hadToken = true;
                            } catch (Exception e) {
                                t1 = System.nanoTime();
                                myFailed++;
                            }
                            lat[n++] = t1 - t0;
                            if (refresh) {
                                during[d++] = t1 - t0;
                            }
                            LockSupport.parkNanos(paceNanos);
                        }
                    } finally {
                        all.addAll(lat, n);
                        refreshing.addAll(during, d);
                        calls.addAndGet(n);
                        failed.addAndGet(myFailed);
                        expired.addAndGet(myExpired);
                    }
                }, "caller-" + threads.size());
                th.setDaemon(true);
                threads.add(th);
                th.start();
            }
        }
        try {
            if (!ready.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("callers did not start");
            }
            long start = System.nanoTime();
            long startMillis = System.currentTimeMillis();
            deadline[0] = start + runNanos;
            long outageFrom = 0;
            if (sc.outageLength() > 0) {
                long lifeMillis = sc.lifetime().toMillis();
                outageFrom = startMillis + (long) (sc.outageStart() * lifeMillis);
                idp.outage(outageFrom, outageFrom + (long) (sc.outageLength() * lifeMillis));
            }
            go.countDown();
            long remaining = -1;
            if (outageFrom > 0) {
                long wait = outageFrom - System.currentTimeMillis();
                if (wait > 0) {
                    Thread.sleep(wait);
                }
                long newest = idp.newestExpiresAtMillis();
                remaining = newest == 0 ? 0 : newest - outageFrom;
            }
            long left = deadline[0] - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.sleep(left);
            }
            long requests = idp.requestCount(); // counted at the deadline, before the instances are closed
            long refused = idp.refused();
            int stragglers = 0;
            long joinUntil = System.nanoTime() + STRAGGLER_WAIT.toNanos();
            for (Thread th : threads) {
                long wait = joinUntil - System.nanoTime();
                if (wait > 0) {
                    th.join(Math.max(1, wait / 1_000_000));
                }
                if (th.isAlive()) {
                    stragglers++;
                    th.interrupt();
                }
            }
            for (Thread th : threads) {
                th.join(2_000);
            }
            long ideal = (long) sc.lifetimes() * (library.shared ? 1 : sc.instances());
            return new Result(library, sc, requests, ideal, calls.get(), failed.get(), expired.get(), all, refreshing,
                    refused, remaining, stragglers, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            threads.forEach(Thread::interrupt);
            throw new IllegalStateException("interrupted", e);
        }
    }
}
