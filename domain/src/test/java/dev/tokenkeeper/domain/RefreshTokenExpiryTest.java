package dev.tokenkeeper.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.spi.TokenResponse;
import dev.tokenkeeper.domain.api.TokenStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Issue 16, items 7 and 12: the additive domain values. */
class RefreshTokenExpiryTest {

    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    @DisplayName("a token is kept until the later of its own and its refresh token's expiry; toString shows no secret")
    void keepUntil() {
        AccessToken withRefresh = new AccessToken(Secret.of("at-secret"), "Bearer", T0, T0.plusSeconds(300), Set.of(),
                Secret.of("rt-secret"), T0.plusSeconds(1800));
        assertThat(withRefresh.keepUntil()).isEqualTo(T0.plusSeconds(1800));
        assertThat(withRefresh.refreshTokenExpiresAt()).contains(T0.plusSeconds(1800));
        assertThat(withRefresh.toString()).doesNotContain("at-secret").doesNotContain("rt-secret")
                .contains("refreshTokenExpiresAt=" + T0.plusSeconds(1800));
        AccessToken shortRefresh = new AccessToken(Secret.of("at"), "Bearer", T0, T0.plusSeconds(300), Set.of(),
                Secret.of("rt"), T0.plusSeconds(60));
        assertThat(shortRefresh.keepUntil()).isEqualTo(T0.plusSeconds(300));
        AccessToken none = new AccessToken(Secret.of("at"), "Bearer", T0, T0.plusSeconds(300), Set.of(), null,
                T0.plusSeconds(1800));
        assertThat(none.refreshTokenExpiresAt()).as("no refresh token, no refresh expiry").isEmpty();
        assertThat(none.keepUntil()).isEqualTo(T0.plusSeconds(300));
        assertThat(withRefresh).isNotEqualTo(withRefresh.withRefreshToken(Secret.of("rt-secret")));
    }

    @Test
    @DisplayName("a response's refresh lifetime is positive or absent; the old constructor means absent")
    void responseRefreshLifetime() {
        TokenResponse old = new TokenResponse(Secret.of("at"), "Bearer", Duration.ofMinutes(5), Set.of(), Secret.of("rt"));
        assertThat(old.refreshExpiresIn()).isNull();
        assertThatThrownBy(() -> new TokenResponse(Secret.of("at"), "Bearer", Duration.ofMinutes(5), Set.of(),
                Secret.of("rt"), Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("refreshExpiresIn");
    }

    @Test
    @DisplayName("a status made the old way has no remembered failure")
    void status() {
        TokenStatus s = new TokenStatus(TokenKey.of("c"), null, null, null, null, FailureKind.INVALID_CLIENT);
        assertThat(s.failingFastUntil()).isEmpty();
        assertThat(s.lastFailure()).contains(FailureKind.INVALID_CLIENT);
    }
}
