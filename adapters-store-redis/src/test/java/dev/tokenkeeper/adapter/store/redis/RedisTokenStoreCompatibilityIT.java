package dev.tokenkeeper.adapter.store.redis;

import dev.tokenkeeper.domain.spi.TokenStore;
import dev.tokenkeeper.store.tck.TokenStoreCompatibilityKit;
import dev.tokenkeeper.testsupport.RequiredServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import redis.clients.jedis.UnifiedJedis;

/**
 * Runs the store contract against {@link RedisTokenStore} on a standalone Redis
 * ({@link RequiredServers#redis()}), on real time: Redis expires keys by its own clock.
 */
class RedisTokenStoreCompatibilityIT extends TokenStoreCompatibilityKit {

    private static UnifiedJedis jedis;

    @BeforeAll
    static void connect() {
        jedis = TestClients.standalone(RequiredServers.redis());
    }

    @AfterAll
    static void disconnect() {
        if (jedis != null) {
            jedis.close();
        }
    }

    @Override
    protected TokenStore createStore() {
        return RedisTokenStore.builder(jedis).keyPrefix("tokenkeeper-tck:").build();
    }
}
