package dev.tokenkeeper.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenEventListener;
import dev.tokenkeeper.domain.spi.TokenEndpoint;
import dev.tokenkeeper.domain.spi.TokenResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The near cache's bound on resident keys (issue 11, section 2), on virtual time: beyond the bound
 * the least recently used keys are evicted, never one in flight nor one bound to a handle, and an
 * evicted key is acquired again normally.
 */
class BoundedNearCacheTest {

    static final int BOUND = 100;

    final VirtualTime time = new VirtualTime();
    final ScriptedEndpoint endpoint = new ScriptedEndpoint().lifetime(TokenManagerTest.LIFETIME);
    final MapStore store = new MapStore(time.clock, false);
    final List<TokenEvent> events = new CopyOnWriteArrayList<>();
    TokenManager m = manager(BOUND);

    TokenManager manager(int bound) {
        return manager(bound, endpoint, events::add);
    }

    TokenManager manager(int bound, TokenEndpoint idp, TokenEventListener listener) {
        return time.on(TokenManager.builder())
                .expiryPolicy(TokenManagerTest.POLICY)
                .client("billing", idp)
                .store(store)
                .sealingKeys(SealingKeys.ephemeral())
                .listener(listener)
                .proactiveRefresh(false)
                .sweepInterval(Duration.ofSeconds(1))
                // recency is recorded by the sweep's pass over every key, every tenth of the idle
                // timeout: here every second, the tokens (ten minutes) outliving the timeout
                .idleTimeout(Duration.ofSeconds(10))
                .maximumKeys(bound)
                .build();
    }

    @AfterEach
    void close() {
        m.close();
    }

    static TokenKey key(int i) {
        return TokenKey.of("billing", "tenant-" + i);
    }

    @Test
    @DisplayName("the bound holds after touching a hundred times more keys than it, one key per millisecond")
    void boundHolds() {
        m.close();
        // counted here rather than by the scripted endpoint and event list, whose copy-on-write lists
        // would make a hundred thousand requests quadratic
        AtomicInteger requests = new AtomicInteger();
        TokenEndpoint idp = request -> CompletableFuture.completedFuture(new TokenResponse(
                Secret.of("t-" + requests.incrementAndGet()), "Bearer", TokenManagerTest.LIFETIME, Set.of(), null, null));
        m = manager(10_000, idp, event -> {});
        for (int i = 0; i < 100_000; i++) {
            m.token(key(i));
            assertThat(m.residentKeys()).isLessThanOrEqualTo(10_000);
            // without waiting for a sweep: evicted keys' refresh points go with the eviction that needs it
            // (the index holds at most a quarter more points than resident keys, plus the misses since a trim)
            assertThat(m.indexedRefreshPoints()).isLessThanOrEqualTo(10_000 + 10_000 / 4 + 1_000 + 64);
            time.advance(Duration.ofMillis(1));
        }
        assertThat(m.residentKeys()).isBetween(9_000, 10_000);
        assertThat(requests).hasValue(100_000);
        time.advance(Duration.ofSeconds(1)); // a sweep
        assertThat(m.indexedRefreshPoints()).as("the sweep's index does not keep evicted keys")
                .isLessThanOrEqualTo(10_000 + 10_000 / 4 + 64);
    }

    @Test
    @DisplayName("the least recently used key is evicted first; an evicted key is acquired again on its next call, from the shared store")
    void lruEvictedAndReacquired() {
        AccessToken first = m.token(key(0));
        time.advance(Duration.ofSeconds(2)); // a sweep: key 0 last used at 0:00
        for (int i = 1; i <= BOUND; i++) {
            if (i % 10 == 0) {
                m.token(key(0)); // key 0 keeps being used
            }
            m.token(key(i));
            time.advance(Duration.ofSeconds(1));
        }
        // BOUND + 1 keys were touched: the bound was crossed once and the map trimmed to 90
        assertThat(m.residentKeys()).isEqualTo(90);
        assertThat(m.status(key(0)).hasToken()).as("the key in use stays").isTrue();
        assertThat(m.status(key(1)).hasToken()).as("the least recently used key went").isFalse();

        int requests = endpoint.requestCount();
        AccessToken again = m.token(key(1));
        assertThat(again).as("re-acquired normally").isNotNull();
        assertThat(endpoint.requestCount()).as("from the shared store, no token request").isEqualTo(requests);
        assertThat(events).filteredOn(TokenEvent.StoreHit.class::isInstance).isNotEmpty();
        assertThat(m.token(key(0))).isSameAs(first);
    }

    @Test
    @DisplayName("a key with a flight in progress is never evicted, however old; nor is a key bound to a handle")
    void inFlightAndPinnedKept() {
        TokenManager.Handle handle = m.handle(key(-1));
        handle.token();
        time.advance(Duration.ofSeconds(2));
        endpoint.hold(true);
        CompletableFuture<AccessToken> pending = m.tokenAsync(key(0)).toCompletableFuture();
        endpoint.hold(false);
        time.advance(Duration.ofSeconds(2)); // both now the oldest keys
        for (int i = 1; i <= 5 * BOUND; i++) {
            m.token(key(i));
            time.advance(Duration.ofMillis(10));
        }
        assertThat(m.residentKeys()).isLessThanOrEqualTo(BOUND);
        assertThat(pending).isNotDone();
        assertThat(m.status(key(0)).lastError()).isNull();
        endpoint.releaseAll();
        assertThat(pending).isDone();
        assertThat(m.status(key(0)).hasToken()).as("the flight's key kept its state and its token").isTrue();
        assertThat(m.status(key(-1)).hasToken()).as("the pinned key stays").isTrue();
        int requests = endpoint.requestCount();
        m.token(key(0));
        handle.token();
        assertThat(endpoint.requestCount()).as("both served from the near cache").isEqualTo(requests);
    }

    @Test
    @DisplayName("between its passes over every key (each tenth of the idle timeout) the sweep looks only at refresh-due keys, however many idle ones there are")
    void sweepVisitsOnlyDueKeys() {
        m.close();
        m = time.on(TokenManager.builder())
                .expiryPolicy(TokenManagerTest.POLICY) // ten-minute tokens refresh-due after nine
                .client("billing", endpoint)
                .proactiveRefresh(true)
                .sweepInterval(Duration.ofSeconds(1))
                .idleTimeout(Duration.ofMinutes(30)) // a pass over every key every three minutes
                .build();
        TokenKey hot = key(-1);
        m.token(hot); // at 0:00, refresh-due at 9:00
        time.advance(Duration.ofMinutes(5));
        for (int i = 0; i < 10_000; i++) {
            m.token(key(i)); // at 5:00, refresh-due at 14:00
        }
        // ticks every second from 0:01; passes at 0:01, 3:01, 6:01 and 9:01
        time.advance(Duration.ofSeconds(62)); // 6:02
        long before = m.sweepVisits();
        time.advance(Duration.ofSeconds(177)); // to 8:59: 177 ticks, no pass, nothing due
        assertThat(m.sweepVisits()).as("visits while nothing is due").isEqualTo(before);
        int requests = endpoint.requestCount();

        time.advance(Duration.ofSeconds(1)); // 9:00: the hot key is due
        assertThat(m.sweepVisits() - before).as("the tick at 9:00 looks at the one due key").isEqualTo(1);
        assertThat(endpoint.requestCount()).as("and refreshes it").isEqualTo(requests + 1);
        assertThat(m.status(hot).freshness()).isEqualTo(dev.tokenkeeper.domain.Freshness.FRESH);
    }

    @Test
    @DisplayName("the bound must be positive")
    void invalid() {
        assertThatThrownBy(() -> TokenManager.builder().maximumKeys(0)).hasMessageContaining("maximumKeys");
    }
}
