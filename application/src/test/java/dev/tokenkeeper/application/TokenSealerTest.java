package dev.tokenkeeper.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.application.internal.StoreKeys;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TokenSealerTest {

    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final AccessToken TOKEN = new AccessToken(Secret.of("eyJhbGciOi.the-access-token.sig"), "Bearer", T0,
            T0.plusSeconds(3600), Set.of("read", "write"), Secret.of("the-refresh-token"));
    static final StoreKey KEY = StoreKeys.of(TokenKey.of("billing", "read"));
    static final StoreKey OTHER = StoreKeys.of(TokenKey.of("billing", "write"));

    final SealingKeys keys = SealingKeys.parse(SealingKeys.generateSpec("k1"));
    final TokenSealer sealer = new TokenSealer(keys);

    @Test
    @DisplayName("a sealed token opens to an equal token, and its bytes show no secret in clear")
    void roundTrip() {
        SealedToken sealed = sealer.seal(KEY, TOKEN, TOKEN.expiresAt());
        String raw = new String(sealed.bytes(), StandardCharsets.ISO_8859_1);
        assertThat(raw).doesNotContain("the-access-token").doesNotContain("the-refresh-token").doesNotContain("read");
        assertThat(sealer.unseal(KEY, sealed)).isEqualTo(TOKEN);
        assertThat(sealed.expiresAt()).isEqualTo(TOKEN.expiresAt());
    }

    @Test
    @DisplayName("two seals of the same token differ (random nonce)")
    void randomNonce() {
        assertThat(sealer.seal(KEY, TOKEN, T0).bytes()).isNotEqualTo(sealer.seal(KEY, TOKEN, T0).bytes());
    }

    @Test
    @DisplayName("bytes copied under another store key do not open")
    void boundToKey() {
        SealedToken sealed = sealer.seal(KEY, TOKEN, T0);
        assertThatThrownBy(() -> sealer.unseal(OTHER, sealed))
                .isInstanceOf(TokenSealer.UnsealException.class)
                .hasMessageContaining("authentication failed");
    }

    @Test
    @DisplayName("any flipped bit, truncation or foreign format is refused with a reason")
    void tampering() {
        byte[] good = sealer.seal(KEY, TOKEN, T0).bytes();
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x01;
            assertThatThrownBy(() -> sealer.unseal(KEY, new SealedToken(bad, T0)))
                    .as("bit flipped at %d", i)
                    .isInstanceOf(TokenSealer.UnsealException.class);
        }
        assertThatThrownBy(() -> sealer.unseal(KEY, new SealedToken(Arrays.copyOf(good, 20), T0)))
                .isInstanceOf(TokenSealer.UnsealException.class);
        assertThatThrownBy(() -> sealer.unseal(KEY, new SealedToken("{\"access_token\":1}".getBytes(), T0)))
                .isInstanceOf(TokenSealer.UnsealException.class)
                .hasMessageContaining("unknown format");
    }

    @Test
    @DisplayName("rotation: new entries use the newest key, old entries still open, unknown key ids are named")
    void rotation() {
        SealedToken old = sealer.seal(KEY, TOKEN, T0);
        SealingKeys rotated = SealingKeys.parse(SealingKeys.generateSpec("k2") + "," + SealingKeys.generateSpec("k9"))
                .withOlder("k1", keyBytes(keys));
        TokenSealer next = new TokenSealer(rotated);
        assertThat(next.unseal(KEY, old)).isEqualTo(TOKEN);
        SealedToken fresh = next.seal(KEY, TOKEN, T0);
        assertThatThrownBy(() -> sealer.unseal(KEY, fresh))
                .isInstanceOf(TokenSealer.UnsealException.class)
                .hasMessageContaining("'k2'");
    }

    @Test
    @DisplayName("bad key configuration lists every problem and never echoes key material")
    void badKeys() {
        String shortKey = Base64.getEncoder().encodeToString(new byte[16]);
        assertThatThrownBy(() -> SealingKeys.parse("a:" + shortKey + ",b:not*base64,nocolon"))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.problems()).hasSize(3);
                    assertThat(e.getMessage()).doesNotContain(shortKey).contains("'a'", "'b'", "#3");
                });
        assertThat(keys.toString()).isEqualTo("SealingKeys[k1]");
    }

    private static byte[] keyBytes(SealingKeys keys) {
        return keys.current().getEncoded();
    }
}
