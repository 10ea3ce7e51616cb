package dev.tokenkeeper.adapter.store.redis;

import java.net.URI;
import java.time.Duration;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.util.JedisURIHelper;

/** Jedis clients for tests, with the bounded timeouts the store's javadoc asks callers for. */
final class TestClients {

    /** Generous for a loaded 2-core CI machine, still far from "hangs". */
    static final Duration TIMEOUT = Duration.ofSeconds(2);

    private TestClients() {}

    static JedisClientConfig config() {
        return DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis((int) TIMEOUT.toMillis())
                .socketTimeoutMillis((int) TIMEOUT.toMillis())
                .build();
    }

    static JedisClientConfig config(URI uri) {
        return RedisTokenStore.clientConfig(uri, TIMEOUT);
    }

    static ConnectionPoolConfig pool() {
        ConnectionPoolConfig pool = new ConnectionPoolConfig();
        pool.setMaxTotal(32); // the kit races 16 threads at once
        pool.setMaxWait(TIMEOUT);
        return pool;
    }

    static UnifiedJedis standalone(URI uri) {
        return RedisClient.builder()
                .hostAndPort(JedisURIHelper.getHostAndPort(uri))
                .clientConfig(config(uri))
                .poolConfig(pool())
                .build();
    }
}
