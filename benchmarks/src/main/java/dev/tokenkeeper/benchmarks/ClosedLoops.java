package dev.tokenkeeper.benchmarks;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClientRequest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A load of {@code connections} closed loops over a Vert.x HTTP client: each loop sends one request,
 * waits for the whole answer, records its latency, and sends the next, until the deadline. The
 * sidecar's and the proxy's load figures both come from here.
 */
final class ClosedLoops {

    private ClosedLoops() {}

    /**
     * Runs the loops for {@code duration}; every 200 answer's latency goes to {@code latency}, every
     * other outcome counts in {@code errors}. Returns the 200 answers counted.
     *
     * @param open opens one request (method, host, port and path)
     * @param headers set on every request
     * @param what names the target in a failure's message
     * @throws IllegalStateException if the loops do not end within 30 s of the deadline, or every request failed
     */
    static long run(Supplier<Future<HttpClientRequest>> open, Map<String, String> headers, int connections, Duration duration,
            Samples latency, AtomicLong errors, String what) throws InterruptedException {
        long deadline = System.nanoTime() + duration.toNanos();
        AtomicLong done = new AtomicLong();
        CountDownLatch finished = new CountDownLatch(connections);
        AtomicReference<Throwable> firstError = new AtomicReference<>();
        for (int c = 0; c < connections; c++) {
            loop(open, headers, deadline, latency, done, errors, finished, firstError);
        }
        if (!finished.await(duration.toMillis() + 30_000, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the load on " + what + " did not finish");
        }
        if (errors.get() > 0 && done.get() == 0) {
            throw new IllegalStateException("every request to " + what + " failed: " + firstError.get());
        }
        return done.get();
    }

    private static void loop(Supplier<Future<HttpClientRequest>> open, Map<String, String> headers, long deadline,
            Samples latency, AtomicLong done, AtomicLong errors, CountDownLatch finished, AtomicReference<Throwable> firstError) {
        long start = System.nanoTime();
        if (start >= deadline) {
            finished.countDown();
            return;
        }
        Future<Integer> answer = open.get().compose(req -> {
            headers.forEach(req::putHeader);
            return req.send().compose(res -> res.body().map(body -> res.statusCode()));
        });
        answer.onComplete(ar -> {
            if (ar.succeeded() && ar.result() == 200) {
                latency.add(System.nanoTime() - start);
                done.incrementAndGet();
            } else {
                errors.incrementAndGet();
                firstError.compareAndSet(null, ar.failed() ? ar.cause() : new IllegalStateException("HTTP " + ar.result()));
            }
            loop(open, headers, deadline, latency, done, errors, finished, firstError);
        });
    }
}
