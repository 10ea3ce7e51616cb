package dev.tokenkeeper.bootstrap.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TokenMetricsTest {

    static final TokenKey BILLING = TokenKey.of("billing", "orders.read");

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final TokenMetrics metrics = new TokenMetrics(registry, Set.of("billing"));

    @Test
    @DisplayName("acquisitions are counted by outcome and failure kind, and timed")
    void acquisitions() {
        metrics.onEvent(new TokenEvent.AcquisitionSucceeded(BILLING, "client_credentials", Duration.ofMillis(40),
                Instant.EPOCH, 1, false));
        metrics.onEvent(new TokenEvent.AcquisitionSucceeded(BILLING, "client_credentials", Duration.ofMillis(60),
                Instant.EPOCH, 2, true));
        metrics.onEvent(new TokenEvent.AcquisitionFailed(BILLING, "client_credentials", FailureKind.INVALID_CLIENT,
                Duration.ofMillis(5), 1, false));
        assertThat(registry.get("tokenkeeper.acquisitions").tags("client", "billing", "outcome", "success").counters()
                .stream().mapToDouble(c -> c.count()).sum()).isEqualTo(2.0);
        assertThat(registry.get("tokenkeeper.acquisitions").tags("outcome", "failure", "kind", "INVALID_CLIENT").counter().count())
                .isEqualTo(1.0);
        assertThat(registry.get("tokenkeeper.acquisition.latency").tags("outcome", "success").timer().count()).isEqualTo(2);
        assertThat(registry.get("tokenkeeper.acquisition.latency").tags("outcome", "success").timer().max(
                java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(60.0);
    }

    @Test
    @DisplayName("every event type TokenEvent permits has a branch in the metrics listener")
    void everyEventTypeHandled() {
        assertThat(dev.tokenkeeper.bootstrap.TokenEventSamples.everyKind())
                .allSatisfy(e -> assertThat(metrics.record(e)).as("handles %s", e.getClass().getSimpleName()).isTrue());
    }

    @Test
    @DisplayName("every event kind has a meter; client tags are bounded to the configured clients")
    void everyEventAndBoundedTags() {
        TokenKey stranger = TokenKey.of("made-up-" + System.nanoTime());
        for (TokenKey k : new TokenKey[] {BILLING, stranger}) {
            metrics.onEvent(new TokenEvent.CacheMiss(k, TokenEvent.MissReason.EXPIRED));
            metrics.onEvent(new TokenEvent.StoreHit(k));
            metrics.onEvent(new TokenEvent.AttemptFailed(k, "client_credentials", FailureKind.SERVER_ERROR, 1, Duration.ofMillis(1)));
            metrics.onEvent(new TokenEvent.RefreshScheduled(k, Instant.EPOCH));
            metrics.onEvent(new TokenEvent.StoreFailed(k, "load", "java.net.ConnectException"));
            metrics.onEvent(new TokenEvent.CorruptEntry(k, "bad tag"));
            metrics.onEvent(new TokenEvent.LeaseWon(k));
            metrics.onEvent(new TokenEvent.LeaseLost(k));
            metrics.onEvent(new TokenEvent.LeaseWaitTimedOut(k));
            metrics.onEvent(new TokenEvent.TokenInvalidated(k, true));
            metrics.onEvent(new TokenEvent.FallbackCredentialUsed(k, FailureKind.NETWORK));
            metrics.onEvent(new TokenEvent.CircuitStateChanged(k.client(), TokenEvent.CircuitState.CLOSED, TokenEvent.CircuitState.OPEN));
            metrics.onEvent(new TokenEvent.AcquisitionSucceeded(k, "urn:custom:" + System.nanoTime(), Duration.ZERO, Instant.EPOCH, 1, false));
        }
        Set<String> names = registry.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet());
        assertThat(names).contains("tokenkeeper.cache.misses", "tokenkeeper.store.hits", "tokenkeeper.attempt.failures",
                "tokenkeeper.refreshes.scheduled", "tokenkeeper.store.failures", "tokenkeeper.store.corrupt",
                "tokenkeeper.lease", "tokenkeeper.invalidations", "tokenkeeper.fallback.used",
                "tokenkeeper.circuit.transitions", "tokenkeeper.acquisitions");
        Set<String> clientTags = registry.getMeters().stream().map(m -> m.getId().getTag("client")).collect(Collectors.toSet());
        assertThat(clientTags).containsExactlyInAnyOrder("billing", TokenMetrics.OTHER);
        Set<String> grants = registry.getMeters().stream().map(m -> m.getId().getTag("grant"))
                .filter(g -> g != null).collect(Collectors.toSet());
        assertThat(grants).containsExactly("custom");
        assertThat(registry.getMeters()).extracting(Meter::getId)
                .allSatisfy(id -> assertThat(id.getTags().toString()).doesNotContain("ConnectException", "bad tag"));
        assertThat(registry.get("tokenkeeper.lease").tags("client", "billing", "outcome", "wait_timed_out").counter().count())
                .isEqualTo(1.0);
    }

    @Test
    @DisplayName("the Micrometer 1.15.4 Prometheus registry renders the meters in the text format")
    void prometheus() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        TokenMetrics m = new TokenMetrics(prometheus, Set.of("billing"));
        m.onEvent(new TokenEvent.AcquisitionSucceeded(BILLING, "client_credentials", Duration.ofMillis(40), Instant.EPOCH, 1, false));
        String text = prometheus.scrape();
        assertThat(text).contains("tokenkeeper_acquisitions_total{background=\"false\",client=\"billing\",grant=\"client_credentials\",kind=\"none\",outcome=\"success\"} 1.0");
        assertThat(text).contains("tokenkeeper_acquisition_latency_seconds_count{client=\"billing\",outcome=\"success\"} 1");
    }
}
