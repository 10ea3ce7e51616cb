package dev.tokenkeeper.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The periodic sweep and the back-off of failed background refreshes, on virtual time: the sweep
 * runs every second on the manual scheduler, and each request is stamped with the virtual moment it
 * was sent.
 */
class SweepAndBackoffTest {

    static final TokenKey KEY = TokenManagerTest.KEY;

    final VirtualTime time = new VirtualTime();
    final Instant start = time.clock.instant();
    final ScriptedEndpoint endpoint = new ScriptedEndpoint().lifetime(TokenManagerTest.LIFETIME);
    /** Seconds after the start at which each request was sent. */
    final List<Long> sentAt = new CopyOnWriteArrayList<>();
    final List<TokenEvent> events = new CopyOnWriteArrayList<>();
    final TokenManager m = time.on(TokenManager.builder())
            .expiryPolicy(TokenManagerTest.POLICY)
            .client("billing", endpoint)
            .listener(events::add)
            .proactiveRefresh(true)
            .sweepInterval(Duration.ofSeconds(1))
            .failureBackoff(Duration.ofSeconds(1))
            .build();

    SweepAndBackoffTest() {
        failWith(null);
    }

    /** Every request is stamped; those for which {@code error} is not null fail with it. */
    void failWith(TokenException error) {
        endpoint.failWith(r -> {
            sentAt.add(Duration.between(start, time.clock.instant()).toSeconds());
            return error;
        });
    }

    @AfterEach
    void close() {
        m.close();
    }

    @Test
    @DisplayName("the sweep refreshes a used key at the first sweep after its refresh point, before any caller sees it refresh-due")
    void sweepRefreshesAtTheRefreshPoint() {
        AccessToken first = m.token(KEY);
        time.advance(Duration.ofMinutes(8).plusSeconds(59));
        assertThat(sentAt).containsExactly(0L);
        time.advance(Duration.ofSeconds(1)); // 9:00, the refresh point: this second's sweep starts it
        assertThat(sentAt).containsExactly(0L, 540L);
        assertThat(events).filteredOn(TokenEvent.RefreshScheduled.class::isInstance).hasSize(1);
        AccessToken second = m.token(KEY);
        assertThat(second.sameValueAs(first)).isFalse();
        assertThat(m.status(KEY).freshness()).isEqualTo(dev.tokenkeeper.domain.Freshness.FRESH);
    }

    @Test
    @DisplayName("failed background refreshes back off 1, 2, 4, 8, 16 s, and the valid token keeps being served")
    void backoffDoubles() {
        AccessToken first = m.token(KEY);
        time.advance(Duration.ofMinutes(8).plusSeconds(59));
        failWith(new TokenException(FailureKind.SERVER_ERROR, "503 from the IdP"));
        for (int s = 0; s < 60; s++) { // 8:59 to 9:59: the whole refresh window
            time.advance(Duration.ofSeconds(1));
            assertThat(m.token(KEY)).isSameAs(first);
        }
        // 9:00, then 1, 2, 4, 8 and 16 s after each failure; the next (30 s after 9:31) falls past expiry
        assertThat(sentAt).containsExactly(0L, 540L, 541L, 543L, 547L, 555L, 571L);
        assertThat(events).filteredOn(TokenEvent.AcquisitionFailed.class::isInstance).hasSize(6);
        assertThat(m.status(KEY).lastFailure()).contains(FailureKind.SERVER_ERROR);
    }
}
