package dev.tokenkeeper.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenStatus;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.testsupport.TestClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Tokens obtained elsewhere (issue 12, gap 1): {@code put} into the near cache and the store, the
 * refresh-token grant with the imported refresh token, {@code putIfAbsent} that never replaces a
 * token refreshed since, and the two thresholds {@code isExpired}/{@code needsRefresh}.
 */
class ImportTest {

    static final TokenKey KEY = TokenKey.of("axiom");
    /**
     * The Rust seed's thresholds: expired 5 min before the server's expiry (the clock skew),
     * refresh-due 15 min before (the refresh window of 10 min counts back from the expiry point).
     */
    static final ExpiryPolicy POLICY = ExpiryPolicy.builder()
            .refreshAhead(Duration.ofMinutes(10))
            .refreshAheadFraction(0)
            .clockSkew(Duration.ofMinutes(5))
            .jitter(0)
            .build();

    final TestClock clock = TestClock.fixed();
    final ScriptedEndpoint endpoint = new ScriptedEndpoint().lifetime(Duration.ofHours(1)).refreshToken("rt-2");
    final MapStore store = new MapStore(clock, true);
    final SealingKeys keys = SealingKeys.parse(SealingKeys.generateSpec("k1"));
    final List<TokenManager> managers = new ArrayList<>();

    TokenManager manager() {
        TokenManager m = TokenManager.builder().clock(clock).expiryPolicy(POLICY).client("axiom", endpoint)
                .proactiveRefresh(false).store(store).sealingKeys(keys)
                .resilience(Resilience.none(Duration.ofSeconds(10))).build();
        managers.add(m);
        return m;
    }

    @AfterEach
    void close() {
        managers.forEach(TokenManager::close);
    }

    /** A token issued an hour before {@code left} is left of it, as a login UI would hand it over. */
    AccessToken imported(String access, String refresh, Duration left) {
        Instant now = clock.instant();
        return new AccessToken(Secret.of(access), "Bearer", now.minus(Duration.ofHours(1)).plus(left), now.plus(left), Set.of(),
                refresh == null ? null : Secret.of(refresh), null);
    }

    @Test
    @DisplayName("put: served at once without a request, saved sealed in the store, IMPORTED in the status")
    void putServesAndSaves() {
        TokenManager m = manager();
        m.put(KEY, imported("at-from-login-ui", "rt-1", Duration.ofHours(1)));

        assertThat(m.token(KEY).value().reveal()).isEqualTo("at-from-login-ui");
        assertThat(endpoint.requestCount()).isZero();
        assertThat(m.status(KEY).source()).isEqualTo(TokenStatus.Source.IMPORTED);
        assertThat(store.tokens).hasSize(1);
        String raw = new String(store.tokens.values().iterator().next().bytes(), StandardCharsets.ISO_8859_1);
        assertThat(raw).doesNotContain("at-from-login-ui").doesNotContain("rt-1");
    }

    @Test
    @DisplayName("isExpired and needsRefresh: two thresholds, 15 min (refresh) and 5 min (expiry) before the server's expiry")
    void twoThresholds() {
        TokenManager m = manager();
        assertThat(m.status(KEY).isExpired()).as("no token").isTrue();
        assertThat(m.status(KEY).needsRefresh()).as("no token").isTrue();
        m.put(KEY, imported("at", "rt-1", Duration.ofHours(1)));

        clock.advance(Duration.ofMinutes(44)); // 16 min left
        assertThat(m.status(KEY).needsRefresh()).isFalse();
        assertThat(m.status(KEY).isExpired()).isFalse();
        clock.advance(Duration.ofMinutes(2)); // 14 min left
        assertThat(m.status(KEY).needsRefresh()).isTrue();
        assertThat(m.status(KEY).isExpired()).isFalse();
        clock.advance(Duration.ofMinutes(10)); // 4 min left
        assertThat(m.status(KEY).needsRefresh()).isTrue();
        assertThat(m.status(KEY).isExpired()).isTrue();
    }

    @Test
    @DisplayName("an imported token that has expired is refreshed with its refresh token, not the primary grant")
    void expiredImportRefreshes() {
        TokenManager m = manager();
        m.put(KEY, imported("old-at", "rt-1", Duration.ofMinutes(1))); // already past the 5-min expiry point

        AccessToken t = m.token(KEY);

        assertThat(endpoint.requestCount()).isEqualTo(1);
        assertThat(endpoint.requests().get(0).grant()).isEqualTo(new Grant.RefreshToken(Secret.of("rt-1")));
        assertThat(t.value().reveal()).isNotEqualTo("old-at");
        assertThat(t.refreshToken()).contains(Secret.of("rt-2"));
    }

    @Test
    @DisplayName("a second manager on the same store (a later process) is served the import, then refreshes with it")
    void keptAcrossManagers() {
        manager().put(KEY, imported("at-1", "rt-1", Duration.ofHours(1)));
        TokenManager later = manager();
        assertThat(later.token(KEY).value().reveal()).isEqualTo("at-1");
        clock.advance(Duration.ofMinutes(56));
        AccessToken refreshed = later.token(KEY);
        assertThat(endpoint.requests()).extracting(r -> r.grant())
                .containsExactly(new Grant.RefreshToken(Secret.of("rt-1")));
        assertThat(refreshed.value().reveal()).isNotEqualTo("at-1");
    }

    @Test
    @DisplayName("putIfAbsent does not replace a token refreshed since (a rotated refresh token is not lost)")
    void putIfAbsentKeepsNewer() {
        TokenManager first = manager();
        assertThat(first.putIfAbsent(KEY, imported("at-1", "rt-1", Duration.ofMinutes(1)))).isTrue();
        AccessToken refreshed = first.token(KEY); // refreshes: rt-1 -> rt-2
        Await.saved(store);

        TokenManager second = manager(); // the same environment imported again at start
        assertThat(second.putIfAbsent(KEY, imported("at-1", "rt-1", Duration.ofMinutes(1)))).isFalse();
        assertThat(second.token(KEY)).isEqualTo(refreshed);
        assertThat(endpoint.requestCount()).isEqualTo(1);
    }

    /** The save follows the caller's token on the worker thread. */
    static final class Await {
        static void saved(MapStore store) {
            dev.tokenkeeper.testsupport.Await.until("the refreshed token is saved", () -> store.tokens.values().stream()
                    .anyMatch(t -> t != null));
        }
    }
}
