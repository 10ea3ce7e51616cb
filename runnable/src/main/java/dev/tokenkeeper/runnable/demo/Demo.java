package dev.tokenkeeper.runnable.demo;

import dev.tokenkeeper.application.ManagerStats;
import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenEventListener;
import dev.tokenkeeper.domain.api.TokenProvider;
import dev.tokenkeeper.fakeidp.FakeIdp;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;

/**
 * The main job on embedded defaults: starts a loopback token endpoint in the process, runs
 * concurrent callers through a few token lifetimes (with an IdP outage in the middle), and reports
 * what happened. Everything it reports is counted, not assumed: token requests at the endpoint,
 * expired tokens by comparing each token handed out with the clock read before the call.
 */
public final class Demo {

    /**
     * What to run.
     *
     * @param callers concurrent caller threads
     * @param duration how long they call
     * @param lifetime the lifetime of each token the endpoint issues
     * @param latency how long the endpoint takes to answer
     * @param outage how long the endpoint answers 503, starting at 40% of the run; zero for none
     */
    public record Options(int callers, Duration duration, Duration lifetime, Duration latency, Duration outage) {}

    /**
     * What happened.
     *
     * @param calls tokens handed out
     * @param failedCalls calls that threw
     * @param expiredServed tokens handed out that had expired before the call began
     * @param tokenRequests tokens the endpoint issued
     * @param refusedRequests requests the endpoint refused during the outage
     * @param backgroundRefreshes refreshes started while the current token was still servable
     * @param p50Nanos median call latency (upper bound of its power-of-two bucket)
     * @param p99Nanos 99th percentile call latency (upper bound of its bucket)
     * @param maxNanos longest call
     */
    public record Result(long calls, long failedCalls, long expiredServed, int tokenRequests, int refusedRequests,
            long backgroundRefreshes, long p50Nanos, long p99Nanos, long maxNanos) {}

    private Demo() {}

    /** Runs the demo, printing progress and the summary to {@code out}. */
    public static Result run(Options o, PrintStream out) throws IOException, InterruptedException {
        String clientId = "demo-client";
        String secret = "demo-secret-" + Long.toHexString(System.nanoTime());
        // one Vert.x for the process: the in-process IdP's server and tokenkeeper's endpoint share it
        Vertx vertx = Vertx.vertx();
        try (FakeIdp idp = FakeIdp.start(vertx)) {
            idp.acceptOnlyClient(clientId, secret).latency(o.latency()).issueTokens(o.lifetime());
            Settings settings = Settings.of(Map.of(
                    "clients.demo.token-url", idp.tokenUri().toString(),
                    "clients.demo.client-id", clientId,
                    "clients.demo.client-secret", secret,
                    "clients.demo.scope", "demo.read",
                    // short tokens: refresh half the life early (the most the policy allows), so that
                    // the token in service always has more life left than the outage lasts
                    "refresh.ahead", o.lifetime().dividedBy(2).toMillis() + "ms",
                    "refresh.clock-skew", "500ms",
                    // an outage of a second or two: probe again soon after it ends
                    "breaker.open-delay", "1s"));
            TokenkeeperConfig config = TokenkeeperConfig.from(settings);
            LongAdder attemptsFailed = new LongAdder();
            TokenEventListener counting = e -> {
                if (e instanceof TokenEvent.AttemptFailed) {
                    attemptsFailed.increment();
                }
            };
            TokenEventListener listener = counting.andThen(new dev.tokenkeeper.bootstrap.LoggingEventListener());
            out.printf("tokenkeeper demo: an in-process IdP at %s issues %d-second tokens and takes %d ms to answer.%n",
                    idp.tokenUri(), o.lifetime().toSeconds(), o.latency().toMillis());
            long lifetimes = Math.max(1, o.duration().toMillis() / o.lifetime().toMillis());
            out.printf("%d callers ask for a token as fast as they can for %d s (%d token lifetimes)", o.callers(),
                    o.duration().toSeconds(), lifetimes);
            long outageStart = o.duration().toMillis() * 4 / 10;
            if (!o.outage().isZero()) {
                out.printf("; the IdP answers 503 for %d ms from t=%d ms", o.outage().toMillis(), outageStart);
            }
            out.println(".");
            try (Tokenkeeper tk = Tokenkeeper.builder(config).listener(listener).vertx(vertx).start()) {
                TokenProvider provider = tk.provider();
                TokenKey key = tk.defaultKey();
                Worker[] workers = new Worker[o.callers()];
                CountDownLatch start = new CountDownLatch(1);
                long deadline = System.nanoTime() + o.duration().toNanos();
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < workers.length; i++) {
                    workers[i] = new Worker(provider, key, start, deadline);
                    Thread t = new Thread(workers[i], "demo-caller-" + i);
                    t.setDaemon(true);
                    threads.add(t);
                    t.start();
                }
                long t0 = System.nanoTime();
                start.countDown();
                if (!o.outage().isZero()) {
                    sleepUntil(t0, Duration.ofMillis(outageStart));
                    idp.down(true);
                    sleepUntil(t0, Duration.ofMillis(outageStart).plus(o.outage()));
                    idp.down(false);
                }
                for (Thread t : threads) {
                    t.join(o.duration().toMillis() + 30_000);
                }
                long[] buckets = new long[64];
                long calls = 0;
                long failed = 0;
                long expired = 0;
                long max = 0;
                for (Worker w : workers) {
                    calls += w.calls;
                    failed += w.failed;
                    expired += w.expired;
                    max = Math.max(max, w.max);
                    for (int b = 0; b < 64; b++) {
                        buckets[b] += w.buckets[b];
                    }
                }
                ManagerStats stats = tk.manager().stats();
                Result r = new Result(calls, failed, expired, idp.issued(), idp.refused(), stats.backgroundRefreshes(),
                        percentile(buckets, calls, 0.50), percentile(buckets, calls, 0.99), max);
                print(r, lifetimes, attemptsFailed.sum(), out);
                return r;
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().join();
        }
    }

    private static void print(Result r, long lifetimes, long failedAttempts, PrintStream out) {
        out.println();
        out.printf("  calls served                 %,d%n", r.calls());
        out.printf("  failed calls                 %,d%n", r.failedCalls());
        out.printf("  expired tokens served        %,d%n", r.expiredServed());
        out.printf("  token requests (issued)      %d   for %d lifetimes: the demo refreshes at half-life, so an outage%n"
                + "                                   shorter than that never reaches a caller%n", r.tokenRequests(), lifetimes);
        out.printf("  requests refused by the IdP  %d   (during the outage; retried in the background)%n",
                r.refusedRequests());
        out.printf("  background refresh runs      %d   (each found the token renewed or renewed it; callers never waited)%n",
                r.backgroundRefreshes());
        out.printf("  failed attempts (events)     %d%n", failedAttempts);
        out.printf("  caller latency               p50 <= %s, p99 <= %s, longest %s (the first callers wait for the first token)%n",
                human(r.p50Nanos()), human(r.p99Nanos()), human(r.maxNanos()));
    }

    static String human(long nanos) {
        if (nanos < 1_000) {
            return nanos + " ns";
        }
        if (nanos < 1_000_000) {
            return String.format("%.1f µs", nanos / 1_000.0);
        }
        return String.format("%.1f ms", nanos / 1_000_000.0);
    }

    private static long percentile(long[] buckets, long total, double p) {
        long rank = (long) Math.ceil(total * p);
        long seen = 0;
        for (int b = 0; b < 64; b++) {
            seen += buckets[b];
            if (seen >= rank && buckets[b] > 0) {
                return b == 0 ? 0 : (1L << b) - 1;
            }
        }
        return 0;
    }

    private static void sleepUntil(long t0, Duration offset) throws InterruptedException {
        long wait = t0 + offset.toNanos() - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
    }

    /** One caller thread; counts into its own fields so that measuring adds no contention. */
    private static final class Worker implements Runnable {
        private final TokenProvider provider;
        private final TokenKey key;
        private final CountDownLatch start;
        private final long deadline;
        final long[] buckets = new long[64];
        long calls;
        long failed;
        long expired;
        long max;

        Worker(TokenProvider provider, TokenKey key, CountDownLatch start, long deadline) {
            this.provider = provider;
            this.key = key;
            this.start = start;
            this.deadline = deadline;
        }

        @Override
        public void run() {
            try {
                start.await();
            } catch (InterruptedException e) {
                return;
            }
            while (System.nanoTime() < deadline) {
                long nowMillis = System.currentTimeMillis();
                long t0 = System.nanoTime();
                try {
                    AccessToken t = provider.token(key);
                    long took = System.nanoTime() - t0;
                    calls++;
                    if (t.expiresAt().toEpochMilli() <= nowMillis) {
                        expired++;
                    }
                    buckets[64 - Long.numberOfLeadingZeros(took)]++;
                    max = Math.max(max, took);
                } catch (TokenException e) {
                    failed++;
                }
            }
        }
    }
}
