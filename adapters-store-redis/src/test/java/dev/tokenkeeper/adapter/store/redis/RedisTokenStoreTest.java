package dev.tokenkeeper.adapter.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.util.JedisClusterCRC16;

/** What {@link RedisTokenStore} decides without a server: settings, key names, the value format. */
class RedisTokenStoreTest {

    /** Nothing listens on port 1; building a client opens no connection. */
    private static final URI NOWHERE = URI.create("redis://127.0.0.1:1");

    private static RedisTokenStore store(String prefix) {
        return RedisTokenStore.connectBuilder(NOWHERE, Duration.ofMillis(100)).keyPrefix(prefix).build();
    }

    @Nested
    @DisplayName("Builder")
    class Builder {

        @Test
        @DisplayName("defaults the key prefix to tokenkeeper:")
        void defaultPrefix() {
            try (RedisTokenStore s = RedisTokenStore.connect(NOWHERE)) {
                assertThat(s.keyPrefix()).isEqualTo(RedisTokenStore.DEFAULT_KEY_PREFIX).isEqualTo("tokenkeeper:");
                assertThat(s.isPersistent()).isTrue();
                assertThat(s).hasToString("RedisTokenStore[keyPrefix=tokenkeeper:]");
            }
        }

        @Test
        @DisplayName("rejects a prefix with braces, spaces, non-ASCII or more than 64 characters, naming the setting")
        void invalidPrefixes() {
            for (String bad : new String[] {"a{b", "a}b", "has space", "é", "x".repeat(65), "tab\t"}) {
                assertThatThrownBy(() -> store(bad)).as("prefix %s", bad)
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keyPrefix");
            }
        }

        @Test
        @DisplayName("accepts an empty prefix and one of 64 characters")
        void validPrefixes() {
            try (RedisTokenStore empty = store(""); RedisTokenStore longest = store("p".repeat(64))) {
                assertThat(empty.keyPrefix()).isEmpty();
                assertThat(longest.keyPrefix()).hasSize(64);
            }
        }

        @Test
        @DisplayName("lets the prefix be set once, and builds once")
        void setOnce() {
            RedisTokenStore.Builder b = RedisTokenStore.connectBuilder(NOWHERE, Duration.ofMillis(100)).keyPrefix("a:");
            assertThatThrownBy(() -> b.keyPrefix("b:")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("keyPrefix");
            b.build().close();
            assertThatThrownBy(b::build).isInstanceOf(IllegalStateException.class);
        }

        @Test
        @DisplayName("rejects null arguments with the parameter's name")
        void nulls() {
            assertThatThrownBy(() -> RedisTokenStore.builder(null)).hasMessage("jedis");
            assertThatThrownBy(() -> RedisTokenStore.connect(null)).hasMessage("uri");
            assertThatThrownBy(() -> RedisTokenStore.connect(NOWHERE, null)).hasMessage("timeout");
        }

        @Test
        @DisplayName("connect accepts redis:// and rediss:// URIs and timeouts from 1 ms to 1 minute")
        void connectValidation() {
            assertThatThrownBy(() -> RedisTokenStore.connect(URI.create("http://localhost:6379")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redis://");
            assertThatThrownBy(() -> RedisTokenStore.connect(NOWHERE, Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
            assertThatThrownBy(() -> RedisTokenStore.connect(NOWHERE, Duration.ofMinutes(2)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
            RedisTokenStore.connect(URI.create("rediss://user:pw@127.0.0.1:1/2"), Duration.ofMillis(1)).close();
        }

        @Test
        @DisplayName("the call timeout defaults to connect's timeout, may be set, and is range-checked")
        void callTimeout() {
            try (RedisTokenStore s = RedisTokenStore.connect(NOWHERE, Duration.ofMillis(250))) {
                assertThat(s.callTimeout()).contains(Duration.ofMillis(250));
            }
            try (RedisTokenStore s = RedisTokenStore.connectBuilder(NOWHERE, Duration.ofMillis(250))
                    .callTimeout(Duration.ofMillis(400)).build()) {
                assertThat(s.callTimeout()).contains(Duration.ofMillis(400));
            }
            assertThatThrownBy(() -> RedisTokenStore.connectBuilder(NOWHERE, Duration.ofMillis(250))
                    .callTimeout(Duration.ofMinutes(2)).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("callTimeout");
            long start = System.nanoTime();
            try (RedisTokenStore s = RedisTokenStore.connect(NOWHERE, Duration.ofMillis(250))) {
                assertThatThrownBy(() -> s.load(new StoreKey("k"))).isInstanceOf(RuntimeException.class);
            }
            // what this catches is a hang; the bound is generous because a busy 2-core machine (the suite
            // next to other builds) has taken several seconds for a refused connect plus a pool's set-up
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("refused at once or within the bound, not hung")
                    .isLessThan(Duration.ofSeconds(20));
        }

        @Test
        @DisplayName("close is idempotent")
        void closeTwice() {
            RedisTokenStore s = RedisTokenStore.connect(NOWHERE);
            s.close();
            s.close();
        }
    }

    @Nested
    @DisplayName("Key names")
    class KeyNames {

        @Test
        @DisplayName("are prefix{storeKey}:token and prefix{storeKey}:lease")
        void layout() {
            try (RedisTokenStore s = store("app:")) {
                StoreKey key = new StoreKey("AbC_-09");
                assertThat(s.tokenKey(key)).isEqualTo("app:{AbC_-09}:token");
                assertThat(s.leaseKey(key)).isEqualTo("app:{AbC_-09}:lease");
            }
        }

        @Test
        @DisplayName("put a key's token and lease in one Cluster slot, the slot of the store key alone")
        void hashTag() {
            try (RedisTokenStore s = store("app:")) {
                for (String v : new String[] {"a", "Z", "0123456789abcdef".repeat(8), "x-y_z"}) {
                    StoreKey key = new StoreKey(v);
                    int slot = JedisClusterCRC16.getSlot(v);
                    assertThat(JedisClusterCRC16.getSlot(s.tokenKey(key))).isEqualTo(slot);
                    assertThat(JedisClusterCRC16.getSlot(s.leaseKey(key))).isEqualTo(slot);
                }
            }
        }

        @Test
        @DisplayName("escape glob characters of the prefix in SCAN patterns")
        void globEscape() {
            assertThat(RedisTokenStore.globEscape("a*b?c[d]e\\f")).isEqualTo("a\\*b\\?c\\[d\\]e\\\\f");
            assertThat(RedisTokenStore.globEscape("tokenkeeper:")).isEqualTo("tokenkeeper:");
        }
    }

    @Nested
    @DisplayName("Entry format")
    class Format {

        @Test
        @DisplayName("round-trips bytes and expiry to the nanosecond")
        void roundTrip() {
            SealedToken t = new SealedToken(new byte[] {0, (byte) 0xFF, 7}, Instant.parse("2031-02-03T04:05:06.123456789Z"));
            byte[] encoded = EntryCodec.encode(t);
            assertThat(encoded).hasSize(EntryCodec.HEADER_LENGTH + 3);
            assertThat(EntryCodec.decode(encoded)).isEqualTo(t);
        }

        @Test
        @DisplayName("rejects values it did not write without showing their bytes")
        void garbage() {
            byte[] secretish = "eyJhbGciOiJIUzI1NiJ9.payload.sig".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            assertThatThrownBy(() -> EntryCodec.decode(secretish))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("eyJ");
            assertThatThrownBy(() -> EntryCodec.decode(new byte[EntryCodec.HEADER_LENGTH]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("short");
            byte[] badNanos = EntryCodec.encode(new SealedToken(new byte[] {1}, Instant.EPOCH));
            badNanos[9] = (byte) 0xFF;
            assertThatThrownBy(() -> EntryCodec.decode(badNanos)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
