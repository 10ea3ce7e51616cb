package dev.tokenkeeper.adapter.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.spi.TokenStore;
import dev.tokenkeeper.store.tck.TokenStoreCompatibilityKit;
import dev.tokenkeeper.testsupport.LocalRedisSentinel;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Issue 12: the store contract on a Redis reached through a Redis Sentinel (a master and a sentinel
 * started for this class), the store made from a {@code redis-sentinel://} URI as configuration
 * names it; and the entries land on the master the sentinel names.
 */
class RedisSentinelTokenStoreCompatibilityIT extends TokenStoreCompatibilityKit {

    private static final String PREFIX = "tokenkeeper-sentinel-tck:";
    private static LocalRedisSentinel sentinel;
    private static final List<RedisTokenStore> stores = new ArrayList<>();

    @BeforeAll
    static void start() {
        sentinel = LocalRedisSentinel.start();
    }

    @AfterAll
    static void stop() {
        stores.forEach(RedisTokenStore::close);
        if (sentinel != null) {
            sentinel.close();
        }
    }

    @Override
    protected TokenStore createStore() {
        RedisTokenStore s = RedisTokenStore.connectBuilder(sentinel.storeUrl(), Duration.ofSeconds(2)).keyPrefix(PREFIX).build();
        stores.add(s);
        return s;
    }

    @Nested
    @DisplayName("Through a Redis Sentinel")
    class ThroughSentinel {

        @Test
        @DisplayName("an entry saved through the sentinel's master is on that master")
        void onTheMaster() {
            StoreKey key = newKey();
            SealedToken token = randomToken(16);
            store().save(key, token);
            try (Jedis master = new Jedis("127.0.0.1", sentinel.masterPort())) {
                assertThat(master.keys(PREFIX + "*")).isNotEmpty();
            }
            assertThat(store().load(key)).contains(token);
        }

        @Test
        @DisplayName("a sentinel URI without a master name, or with a bad sentinel list, is refused with the shape it needs")
        void badUris() {
            assertThatThrownBy(() -> RedisTokenStore.connectBuilder(URI.create("redis-sentinel://127.0.0.1:26379"),
                    Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/master");
            assertThatThrownBy(() -> RedisTokenStore.connectBuilder(URI.create("redis-sentinel://127.0.0.1:x/m"),
                    Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
        }
    }
}
