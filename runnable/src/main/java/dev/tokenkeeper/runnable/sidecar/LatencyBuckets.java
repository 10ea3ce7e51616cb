package dev.tokenkeeper.runnable.sidecar;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import java.time.Duration;

/**
 * Gives the sidecar's acquisition latency timer fixed histogram buckets, so that
 * {@code /metrics} carries {@code tokenkeeper_acquisition_latency_seconds_bucket{le=…}} and a
 * dashboard can compute quantiles with {@code histogram_quantile} across instances (a Micrometer
 * timer alone publishes only count, sum and max). Eleven buckets from 10 ms to 30 s cover a token
 * request from a fast local IdP to one that runs into the default deadline; a fixed list keeps the
 * series count small (Micrometer's percentile histogram would publish about seventy).
 *
 * <p>A filter of the sidecar's registry rather than a setting of
 * {@link dev.tokenkeeper.bootstrap.metrics.TokenMetrics}: a library user's registry stays as it was.
 */
final class LatencyBuckets implements MeterFilter {

    static final String TIMER = "tokenkeeper.acquisition.latency";
    static final Duration[] BUCKETS = {
        Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
        Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30)
    };

    @Override
    public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (!TIMER.equals(id.getName())) {
            return config;
        }
        double[] nanos = new double[BUCKETS.length];
        for (int i = 0; i < BUCKETS.length; i++) {
            nanos[i] = BUCKETS[i].toNanos();
        }
        return DistributionStatisticConfig.builder().serviceLevelObjectives(nanos).build().merge(config);
    }
}
