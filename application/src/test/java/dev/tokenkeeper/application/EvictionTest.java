package dev.tokenkeeper.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Per-key state is evicted after idle, on virtual time: the sweep runs on the manual scheduler
 * every second, the idle timeout is five minutes and tokens live ten.
 */
class EvictionTest {

    static final TokenKey KEY = TokenManagerTest.KEY;
    static final Duration IDLE = Duration.ofMinutes(5);

    final VirtualTime time = new VirtualTime();
    final ScriptedEndpoint endpoint = new ScriptedEndpoint().lifetime(TokenManagerTest.LIFETIME);
    final List<TokenEvent> events = new CopyOnWriteArrayList<>();
    final TokenManager m = time.on(TokenManager.builder())
            .expiryPolicy(TokenManagerTest.POLICY)
            .client("billing", endpoint)
            .listener(events::add)
            .proactiveRefresh(false)
            .idleTimeout(IDLE)
            .sweepInterval(Duration.ofSeconds(1))
            .permanentFailureBackoff(Duration.ofMinutes(20), Duration.ofHours(1))
            .build();

    @AfterEach
    void close() {
        m.close();
    }

    TokenEvent.MissReason lastMiss() {
        return events.stream().filter(TokenEvent.CacheMiss.class::isInstance).map(TokenEvent.CacheMiss.class::cast)
                .reduce((a, b) -> b).orElseThrow().reason();
    }

    @Test
    @DisplayName("an idle key keeps its state while its token is valid, loses it once the token expired; the next call is an ordinary miss")
    void idleKeyEvictedAfterExpiry() {
        AccessToken first = m.token(KEY);
        time.advance(Duration.ofMinutes(8)); // idle longer than the idle timeout, the token still fresh
        assertThat(m.statuses()).hasSize(1);
        assertThat(m.token(KEY)).isSameAs(first); // and it is served from the near cache

        time.advance(Duration.ofMinutes(6).plusSeconds(2)); // idle, and the token expired at 10:00
        assertThat(m.statuses()).as("evicted").isEmpty();
        assertThat(m.status(KEY).hasToken()).isFalse();

        AccessToken second = m.token(KEY);
        assertThat(lastMiss()).as("a fresh state: nothing cached").isEqualTo(TokenEvent.MissReason.ABSENT);
        assertThat(second.sameValueAs(first)).isFalse();
        assertThat(endpoint.requestCount()).isEqualTo(2);
    }

    @Test
    @DisplayName("a key asked for within the idle timeout keeps its state across expiry")
    void usedKeyKept() {
        m.token(KEY);
        for (int i = 0; i < 3; i++) {
            time.advance(Duration.ofMinutes(4));
            m.token(KEY);
        }
        // the token expired at 10:00 and was replaced at 12:00 by an ordinary expiry miss, not a fresh state
        assertThat(lastMiss()).isEqualTo(TokenEvent.MissReason.EXPIRED);
        assertThat(m.statuses()).hasSize(1);
        assertThat(endpoint.requestCount()).isEqualTo(2);
    }

    @Test
    @DisplayName("a key bound to a handle is never evicted: the handle and the manager keep sharing one state")
    void handleKeyPinned() {
        TokenManager.Handle h = m.handle(KEY);
        AccessToken first = h.token();
        time.advance(Duration.ofMinutes(30));
        assertThat(m.statuses()).hasSize(1);
        AccessToken second = m.token(KEY);
        assertThat(h.token()).isSameAs(second);
        m.invalidate(KEY);
        assertThat(h.token().sameValueAs(second)).as("the invalidation reached the handle's state").isFalse();
        assertThat(endpoint.requestCount()).isEqualTo(3);
        assertThat(second.sameValueAs(first)).isFalse();
    }

    @Test
    @DisplayName("a key with a flight in progress is kept however long the flight takes")
    void inFlightKept() {
        endpoint.hold(true);
        CompletableFuture<AccessToken> f = m.tokenAsync(KEY).toCompletableFuture();
        time.advance(Duration.ofMinutes(8)); // longer than the idle timeout
        assertThat(f).isNotDone();
        assertThat(m.statuses()).hasSize(1);
        endpoint.hold(false);
        endpoint.releaseAll();
        assertThat(f).isCompleted();
        assertThat(m.token(KEY)).isSameAs(f.join());
        assertThat(endpoint.requestCount()).isEqualTo(1);
    }

    @Test
    @DisplayName("a remembered permanent failure is kept until its window ends, then the idle key is evicted")
    void rememberedFailureKept() {
        endpoint.failAll(FailureKind.INVALID_CLIENT);
        assertThatThrownBy(() -> m.token(KEY)).isInstanceOf(TokenException.class);
        time.advance(Duration.ofMinutes(10)); // idle, no token, but callers must still fail fast
        assertThat(m.statuses()).hasSize(1);
        assertThatThrownBy(() -> m.token(KEY)).isInstanceOf(TokenException.class).hasMessageContaining("remembered");
        assertThat(endpoint.requestCount()).isEqualTo(1);

        time.advance(Duration.ofMinutes(21)); // the twenty-minute window is over, and the key idle
        assertThat(m.statuses()).isEmpty();
    }
}
