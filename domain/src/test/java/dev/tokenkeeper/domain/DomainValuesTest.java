package dev.tokenkeeper.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class DomainValuesTest {

    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Nested
    @DisplayName("Secret")
    class Secrets {
        @Test
        @DisplayName("never shows itself, and compares by value")
        void hidden() {
            Secret s = Secret.of("hunter2");
            assertThat(s.toString()).doesNotContain("hunter2");
            assertThat(String.valueOf(s)).isEqualTo("Secret[redacted]");
            assertThat(s).isEqualTo(Secret.of("hunter2")).isNotEqualTo(Secret.of("hunter3"));
            assertThat(s.reveal()).isEqualTo("hunter2");
            assertThatThrownBy(() -> Secret.of("")).isInstanceOf(IllegalArgumentException.class);
        }

        @Test
        @DisplayName("an access token's toString shows neither the token nor the refresh token")
        void tokenToString() {
            AccessToken t = new AccessToken(Secret.of("tok-value"), "Bearer", T0, T0.plusSeconds(60), Set.of("a"),
                    Secret.of("refresh-value"));
            assertThat(t.toString()).doesNotContain("tok-value").doesNotContain("refresh-value").contains("present");
        }
    }

    @Nested
    @DisplayName("TokenKey")
    class Keys {
        @Test
        @DisplayName("is equal regardless of scope order, and not across audiences")
        void equality() {
            assertThat(TokenKey.of("c", "b", "a")).isEqualTo(TokenKey.of("c", "a", "b"))
                    .hasSameHashCodeAs(TokenKey.of("c", "a", "b"));
            assertThat(TokenKey.builder("c").scopes("a").audience("x").build())
                    .isNotEqualTo(TokenKey.builder("c").scopes("a").audience("y").build());
            assertThat(TokenKey.of("c", "b", "a").scopeString()).isEqualTo("a b");
        }

        @Test
        @DisplayName("canonical bytes are unambiguous")
        void canonical() {
            assertThat(TokenKey.of("ab", "c").canonicalBytes()).isNotEqualTo(TokenKey.of("a", "bc").canonicalBytes());
            assertThat(TokenKey.builder("a").audience("b").build().canonicalBytes())
                    .isNotEqualTo(TokenKey.builder("a").resource("b").build().canonicalBytes());
        }

        @Test
        @DisplayName("rejects scopes RFC 6749 forbids")
        void badScopes() {
            assertThatThrownBy(() -> TokenKey.of("c", "two words")).hasMessageContaining("index 3");
            assertThatThrownBy(() -> TokenKey.of(" ")).hasMessageContaining("client");
        }
    }

    @Nested
    @DisplayName("ExpiryPolicy")
    class Expiry {
        AccessToken token(Duration lifetime) {
            return new AccessToken(Secret.of("t"), "Bearer", T0, T0.plus(lifetime), Set.of(), null);
        }

        @Test
        @DisplayName("a one-hour token with the defaults is fresh, then refresh-due twelve minutes early, then expired 30 s early")
        void defaults() {
            ExpiryPolicy p = ExpiryPolicy.builder().jitter(0).build();
            AccessToken t = token(Duration.ofHours(1));
            assertThat(p.freshness(t, T0.plus(Duration.ofMinutes(47)))).isEqualTo(Freshness.FRESH);
            assertThat(p.freshness(t, T0.plus(Duration.ofMinutes(47).plusSeconds(31)))).isEqualTo(Freshness.REFRESH_DUE);
            assertThat(p.freshness(t, T0.plus(Duration.ofMinutes(59).plusSeconds(30)))).isEqualTo(Freshness.EXPIRED);
        }

        @Test
        @DisplayName("a very short token stays usable for most of its life and is not renewed early (skew and window are capped)")
        void shortToken() {
            ExpiryPolicy p = ExpiryPolicy.builder().jitter(0).build();
            ExpiryPolicy.Schedule s = p.schedule(token(Duration.ofSeconds(8)), java.util.random.RandomGenerator.getDefault());
            assertThat(s.expiresAtMillis() - T0.toEpochMilli()).isEqualTo(6_000); // skew capped at L/4
            assertThat(s.refreshAtMillis() - T0.toEpochMilli()).isEqualTo(4_400); // refreshAhead counts up to L/5
        }

        @Test
        @DisplayName("with the defaults no token, short or long, is due before half its life, whatever the jitter draws")
        void atMostTwoRequestsPerLifetime() {
            ExpiryPolicy p = ExpiryPolicy.defaults();
            var random = java.util.random.RandomGenerator.of("L64X128MixRandom");
            for (Duration lifetime : java.util.List.of(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(10),
                    Duration.ofMinutes(2), Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofDays(1))) {
                AccessToken t = token(lifetime);
                for (int i = 0; i < 100; i++) {
                    ExpiryPolicy.Schedule s = p.schedule(t, random);
                    assertThat(s.refreshAtMillis() - T0.toEpochMilli()).as("refresh point of a %s token", lifetime)
                            .isGreaterThanOrEqualTo(lifetime.toMillis() / 2)
                            .isLessThan(s.expiresAtMillis() - T0.toEpochMilli());
                }
            }
        }

        @Test
        @DisplayName("an explicit refreshAhead is honoured up to half the lifetime; the default counts for at most a fifth")
        void explicitRefreshAheadHonoured() {
            AccessToken t = token(Duration.ofSeconds(10));
            ExpiryPolicy explicit = ExpiryPolicy.builder().refreshAhead(Duration.ofSeconds(4)).refreshAheadFraction(0)
                    .clockSkew(Duration.ZERO).jitter(0).build();
            ExpiryPolicy byDefault = ExpiryPolicy.builder().refreshAheadFraction(0).clockSkew(Duration.ZERO).jitter(0).build();
            ExpiryPolicy tooMuch = ExpiryPolicy.builder().refreshAhead(Duration.ofSeconds(9)).refreshAheadFraction(0)
                    .clockSkew(Duration.ZERO).jitter(0).build();
            assertThat(explicit.freshness(t, T0.plusMillis(5_999))).isEqualTo(Freshness.FRESH);
            assertThat(explicit.freshness(t, T0.plusMillis(6_000))).isEqualTo(Freshness.REFRESH_DUE);
            assertThat(byDefault.freshness(t, T0.plusMillis(7_999))).isEqualTo(Freshness.FRESH); // 60 s, capped at L/5
            assertThat(byDefault.freshness(t, T0.plusMillis(8_000))).isEqualTo(Freshness.REFRESH_DUE);
            assertThat(tooMuch.freshness(t, T0.plusMillis(4_999))).isEqualTo(Freshness.FRESH); // capped at L/2
            assertThat(tooMuch.freshness(t, T0.plusMillis(5_000))).isEqualTo(Freshness.REFRESH_DUE);
        }

        @Test
        @DisplayName("jitter spreads the refresh point later, over the first half of the window: never earlier, never past its middle")
        void jitter() {
            ExpiryPolicy p = ExpiryPolicy.builder().refreshAhead(Duration.ofMinutes(1)).refreshAheadFraction(0)
                    .clockSkew(Duration.ZERO).jitter(1.0).build();
            AccessToken t = token(Duration.ofMinutes(10));
            var random = java.util.random.RandomGenerator.of("L64X128MixRandom");
            java.util.Set<Long> points = new java.util.HashSet<>();
            for (int i = 0; i < 200; i++) {
                long r = p.schedule(t, random).refreshAtMillis() - T0.toEpochMilli();
                assertThat(r).isBetween(9 * 60_000L, 9 * 60_000L + 30_000L);
                points.add(r);
            }
            assertThat(points).hasSizeGreaterThan(150);
        }

        @Test
        @DisplayName("invalid settings name the setting and its range")
        void validation() {
            assertThatThrownBy(() -> ExpiryPolicy.builder().refreshAhead(Duration.ofSeconds(-1)))
                    .hasMessageContaining("refreshAhead");
            assertThatThrownBy(() -> ExpiryPolicy.builder().refreshAheadFraction(0.9))
                    .hasMessageContaining("between 0 and 0.5");
            assertThatThrownBy(() -> ExpiryPolicy.builder().jitter(Double.NaN)).hasMessageContaining("jitter");
        }
    }

    @Nested
    @DisplayName("RetryStrategy")
    class Retry {
        final java.util.random.RandomGenerator random = java.util.random.RandomGenerator.of("L64X128MixRandom");

        @Test
        @DisplayName("only transient failures are retryable")
        void retryable() {
            RetryStrategy r = RetryStrategy.fixed(Duration.ofMillis(10), 3);
            assertThat(r.isRetryable(new TokenException(FailureKind.SERVER_ERROR, "x"))).isTrue();
            assertThat(r.isRetryable(new TokenException(FailureKind.INVALID_CLIENT, "x"))).isFalse();
            assertThat(r.isRetryable(new TokenException(FailureKind.CIRCUIT_OPEN, "x"))).isFalse();
            assertThat(RetryStrategy.none().maxAttempts()).isEqualTo(1);
        }

        @Test
        @DisplayName("Retry-After is honoured up to the cap")
        void retryAfter() {
            RetryStrategy r = RetryStrategy.fixed(Duration.ofMillis(10), 3);
            TokenException asks2s = new TokenException(FailureKind.RATE_LIMITED, "x", null, Duration.ofSeconds(2), 429, null);
            TokenException asks1h = new TokenException(FailureKind.RATE_LIMITED, "x", null, Duration.ofHours(1), 429, null);
            assertThat(r.delay(1, asks2s, random)).isEqualTo(Duration.ofSeconds(2));
            assertThat(r.delay(1, asks1h, random)).isEqualTo(RetryStrategy.DEFAULT_MAX_RETRY_AFTER);
        }

        @Test
        @DisplayName("exponential with full jitter stays within [0, min(cap, base·2^(n-1))]; linear grows by its step")
        void shapes() {
            RetryStrategy e = RetryStrategy.exponentialWithJitter(Duration.ofMillis(100), Duration.ofSeconds(1), 10);
            for (int n = 1; n <= 10; n++) {
                long ceiling = Math.min(1000, 100L << (n - 1));
                for (int i = 0; i < 50; i++) {
                    assertThat(e.backoff(n, random).toMillis()).isBetween(0L, ceiling);
                }
            }
            RetryStrategy l = RetryStrategy.linear(Duration.ofMillis(100), Duration.ofMillis(50), Duration.ofMillis(220), 5);
            assertThat(l.backoff(1, random)).isEqualTo(Duration.ofMillis(100));
            assertThat(l.backoff(2, random)).isEqualTo(Duration.ofMillis(150));
            assertThat(l.backoff(4, random)).isEqualTo(Duration.ofMillis(220));
            assertThatThrownBy(() -> RetryStrategy.fixed(Duration.ZERO, 0)).hasMessageContaining("maxAttempts");
        }
    }

    @Test
    @DisplayName("RFC 6749 error codes map to kinds; unknown codes are permanent rejections")
    void errorCodes() {
        assertThat(FailureKind.fromOAuthError("invalid_client")).isEqualTo(FailureKind.INVALID_CLIENT);
        assertThat(FailureKind.fromOAuthError("INVALID_GRANT")).isEqualTo(FailureKind.INVALID_GRANT);
        assertThat(FailureKind.fromOAuthError("temporarily_unavailable").isTransient()).isTrue();
        assertThat(FailureKind.fromOAuthError("something_new")).isEqualTo(FailureKind.REJECTED);
    }
}
