package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.TokenEndpoint;
import dev.tokenkeeper.domain.spi.TokenResponse;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many keys, bounded memory: one manager with {@code maximumKeys} touches {@code touched} distinct
 * keys (one token each, from an in-process endpoint that answers at once, so only the manager's own
 * memory is measured), and the used heap after a full collection is read every tenth of the way.
 * Then the sweep's CPU is read over an idle window with few and with many resident keys.
 */
final class MemoryProbe {

    /** The figures of one run. */
    record Result(int maximumKeys, int touched, List<long[]> heapByTouched, long baselineHeap, int resident,
            double bytesPerResidentKey, double sweepCpuMsPerSecondFew, int fewKeys, double sweepCpuMsPerSecondMany,
            int manyKeys, Duration idleWindow) {

        /** The largest used heap after the first bound was reached, over the smallest. */
        double flatness() {
            long min = Long.MAX_VALUE;
            long max = 0;
            for (long[] p : heapByTouched) {
                if (p[0] >= maximumKeys) {
                    min = Math.min(min, p[1]);
                    max = Math.max(max, p[1]);
                }
            }
            return min == Long.MAX_VALUE ? Double.NaN : (double) max / min;
        }
    }

    private MemoryProbe() {}

    /** An endpoint that mints a one-hour token per request in the caller's thread. */
    static final class InstantEndpoint implements TokenEndpoint {
        final AtomicLong issued = new AtomicLong();

        @Override
        public CompletableFuture<TokenResponse> request(dev.tokenkeeper.domain.spi.TokenRequest request) {
            long n = issued.incrementAndGet();
            return CompletableFuture.completedFuture(new TokenResponse(Secret.of("bench-token-" + n), "Bearer",
                    Duration.ofHours(1), Set.of(), null));
        }
    }

    static Result run(int maximumKeys, int touched, int fewKeys, Duration idleWindow) throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long baseline = usedAfterGc(memory);
        List<long[]> series = new ArrayList<>();
        int step = touched / 10;
        int resident;
        InstantEndpoint endpoint = new InstantEndpoint();
        try (TokenManager m = TokenManager.builder().client("bench", endpoint).maximumKeys(maximumKeys).build()) {
            for (int i = 1; i <= touched; i++) {
                m.token(key(i));
                if (i % step == 0) {
                    series.add(new long[] {i, usedAfterGc(memory)});
                }
            }
            resident = m.statuses().size();
            if (endpoint.issued.get() != touched) {
                throw new IllegalStateException("expected one token per key, got " + endpoint.issued.get());
            }
        }
        long atBound = series.stream().filter(p -> p[0] >= maximumKeys).mapToLong(p -> p[1]).min().orElse(baseline);
        double perKey = (double) (atBound - baseline) / Math.max(1, resident);
        double few = sweepCpu(fewKeys, idleWindow);
        double many = sweepCpu(maximumKeys, idleWindow);
        return new Result(maximumKeys, touched, series, baseline, resident, perKey, few, fewKeys, many, maximumKeys, idleWindow);
    }

    /** Process CPU per second of an idle window with {@code keys} resident one-hour tokens (nothing due). */
    static double sweepCpu(int keys, Duration window) throws InterruptedException {
        try (TokenManager m = TokenManager.builder().client("bench", new InstantEndpoint()).build()) {
            for (int i = 1; i <= keys; i++) {
                m.token(key(i));
            }
            usedAfterGc(ManagementFactory.getMemoryMXBean());
            Thread.sleep(1000); // let the sweep settle into its idle rhythm after the fill
            long before = processCpuNanos();
            Thread.sleep(window.toMillis()); // the measurement: what the sweep costs while nothing is due
            long used = processCpuNanos() - before;
            return used / 1e6 / (window.toMillis() / 1000.0);
        }
    }

    private static TokenKey key(int i) {
        return TokenKey.builder("bench").scopes("tenant-" + i).build();
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    static long usedAfterGc(MemoryMXBean memory) {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
