package dev.tokenkeeper.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenKey;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Pluggable statistics: what the manager records into a {@link StatsCounter}, on virtual time. */
class StatsCounterTest {

    static final TokenKey KEY = TokenManagerTest.KEY;
    static final Duration IDP_LATENCY = Duration.ofMillis(250);

    final VirtualTime time = new VirtualTime();
    final ScriptedEndpoint endpoint = new ScriptedEndpoint().lifetime(TokenManagerTest.LIFETIME);
    final List<TokenManager> managers = new CopyOnWriteArrayList<>();

    /** A counter that writes down each call, then counts like the default one. */
    static final class Recording implements StatsCounter {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final ConcurrentStatsCounter counts = new ConcurrentStatsCounter();

        @Override
        public void recordHits(int count) {
            calls.add("hit");
            counts.recordHits(count);
        }

        @Override
        public void recordMisses(int count) {
            calls.add("miss");
            counts.recordMisses(count);
        }

        @Override
        public void recordStoreHit() {
            calls.add("storeHit");
            counts.recordStoreHit();
        }

        @Override
        public void recordAcquisitionSuccess(long nanos) {
            calls.add("success " + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms");
            counts.recordAcquisitionSuccess(nanos);
        }

        @Override
        public void recordAcquisitionFailure(long nanos) {
            calls.add("failure " + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms");
            counts.recordAcquisitionFailure(nanos);
        }

        @Override
        public void recordBackgroundRefresh() {
            calls.add("background");
            counts.recordBackgroundRefresh();
        }

        @Override
        public ManagerStats snapshot() {
            return counts.snapshot();
        }
    }

    /** A manager whose IdP answers {@link #IDP_LATENCY} after each request, on the virtual time. */
    TokenManager manager(TokenManager.Builder b) {
        TokenManager m = time.on(b.expiryPolicy(TokenManagerTest.POLICY).client("billing", endpoint).proactiveRefresh(false))
                .grantExecutor((client, request, call) -> {
                    call.attemptStarted();
                    CompletableFuture<dev.tokenkeeper.domain.spi.TokenResponse> answer = new CompletableFuture<>();
                    time.scheduler.schedule(() -> client.endpoint().request(request).whenComplete((r, e) -> {
                        if (e != null) {
                            answer.completeExceptionally(e);
                        } else {
                            answer.complete(r);
                        }
                    }), IDP_LATENCY.toMillis(), TimeUnit.MILLISECONDS);
                    return answer;
                })
                .build();
        managers.add(m);
        return m;
    }

    @AfterEach
    void close() {
        managers.forEach(TokenManager::close);
    }

    @Test
    @DisplayName("a plugged-in counter receives misses, hits, background refreshes, successes and failures with their time")
    void recordsIntoPluggedCounter() {
        Recording stats = new Recording();
        TokenManager m = manager(TokenManager.builder().stats(stats).recordHits(true));
        CompletableFuture<?> first = m.tokenAsync(KEY).toCompletableFuture();
        time.advance(IDP_LATENCY);
        assertThat(first).isCompleted();
        m.token(KEY);
        time.advance(Duration.ofMinutes(9)); // refresh-due: the call is a hit and starts a background refresh
        m.token(KEY);
        time.advance(IDP_LATENCY);
        endpoint.failAll(FailureKind.INVALID_CLIENT);
        time.advance(TokenManagerTest.LIFETIME); // expired: a miss whose flight fails
        CompletableFuture<?> failed = m.tokenAsync(KEY).toCompletableFuture();
        time.advance(IDP_LATENCY);
        assertThat(failed).isCompletedExceptionally();

        assertThat(stats.calls).containsExactly("miss", "success 250 ms", "hit", "hit", "background", "success 250 ms",
                "miss", "failure 250 ms");
        assertThat(m.stats()).isEqualTo(new ManagerStats(2, 2, 0, 2, 1, 1, Duration.ofMillis(750)));
        assertThat(m.stats().averageAcquisitionTime()).isEqualTo(IDP_LATENCY);
    }

    @Test
    @DisplayName("the default counter counts everything but hits, which cost the hot path an add and are off by default")
    void defaultCounter() {
        TokenManager m = manager(TokenManager.builder());
        m.tokenAsync(KEY);
        time.advance(IDP_LATENCY);
        for (int i = 0; i < 10; i++) {
            m.token(KEY);
        }
        assertThat(m.stats()).isEqualTo(new ManagerStats(0, 1, 0, 1, 0, 0, IDP_LATENCY));
    }

    @Test
    @DisplayName("a store hit is counted as such, not as an acquisition")
    void storeHit() {
        MapStore store = new MapStore(time.clock, false);
        SealingKeys keys = SealingKeys.ephemeral();
        TokenManager a = manager(TokenManager.builder().store(store).sealingKeys(keys));
        Recording stats = new Recording();
        TokenManager b = manager(TokenManager.builder().store(store).sealingKeys(keys).stats(stats));
        a.tokenAsync(KEY);
        time.advance(IDP_LATENCY);
        assertThat(b.token(KEY)).isNotNull();
        assertThat(stats.calls).containsExactly("miss", "storeHit");
        assertThat(b.stats().storeHits()).isEqualTo(1);
        assertThat(b.stats().acquisitions()).isZero();
    }

    @Test
    @DisplayName("the disabled counter counts nothing")
    void disabled() {
        TokenManager m = manager(TokenManager.builder().stats(StatsCounter.disabled()).recordHits(true));
        m.tokenAsync(KEY);
        time.advance(IDP_LATENCY);
        m.token(KEY);
        assertThat(m.stats()).isEqualTo(new ManagerStats(0, 0, 0, 0, 0, 0, Duration.ZERO));
        assertThat(m.stats().averageAcquisitionTime()).isEqualTo(Duration.ZERO);
    }

    @Test
    @DisplayName("a null counter is refused, naming the setting")
    void nullRefused() {
        assertThatThrownBy(() -> TokenManager.builder().stats(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("stats");
    }

    @Test
    @DisplayName("the default counter adds up across threads, and a negative time (a ticker gone backwards) counts as none")
    void concurrentCounter() throws Exception {
        ConcurrentStatsCounter c = new ConcurrentStatsCounter();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    c.recordHits(1);
                    c.recordAcquisitionFailure(-5); // a ticker that went backwards counts as no time
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(c.snapshot().hits()).isEqualTo(40_000);
        assertThat(c.snapshot().failures()).isEqualTo(40_000);
        assertThat(c.snapshot().totalAcquisitionTime()).isEqualTo(Duration.ZERO);
    }
}
