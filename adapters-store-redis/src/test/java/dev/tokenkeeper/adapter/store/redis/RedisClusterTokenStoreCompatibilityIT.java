package dev.tokenkeeper.adapter.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.spi.TokenStore;
import dev.tokenkeeper.store.tck.TokenStoreCompatibilityKit;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClusterClient;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * Runs the store contract against {@link RedisTokenStore} on a three-master Redis Cluster started
 * for this class ({@link LocalRedisCluster}), through a {@link RedisClusterClient}; and checks what
 * only a cluster can show: entries spread over the masters, each store key's token and lease in one
 * slot, and {@code forEach} walking every master.
 */
class RedisClusterTokenStoreCompatibilityIT extends TokenStoreCompatibilityKit {

    private static final String PREFIX = "tokenkeeper-cluster:";

    private static LocalRedisCluster cluster;
    private static RedisClusterClient client;

    @BeforeAll
    static void startCluster() {
        cluster = LocalRedisCluster.start();
        client = RedisClusterClient.builder()
                .nodes(cluster.nodes())
                .clientConfig(TestClients.config())
                .poolConfig(TestClients.pool())
                .build();
    }

    @AfterAll
    static void stopCluster() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected TokenStore createStore() {
        return RedisTokenStore.builder(client).keyPrefix(PREFIX).build();
    }

    @Nested
    @DisplayName("On a Redis Cluster")
    class OnCluster {

        @Test
        @DisplayName("entries spread over every master, and forEach finds all of them")
        void spreadAndWalk() {
            Map<StoreKey, SealedToken> saved = new HashMap<>();
            for (int i = 0; i < 60; i++) {
                StoreKey key = newKey();
                SealedToken token = randomToken(16);
                store().save(key, token);
                saved.put(key, token);
            }
            for (HostAndPort node : cluster.nodes()) {
                try (Jedis j = LocalRedisCluster.direct(node)) {
                    assertThat(j.keys(PREFIX + "*")).as("keys on master %s", node).isNotEmpty();
                }
            }
            Map<StoreKey, SealedToken> seen = new HashMap<>();
            store().forEach(seen::put);
            assertThat(seen).containsAllEntriesOf(saved);
        }

        @Test
        @DisplayName("a store key's token and lease live in one slot, whatever the key")
        void sameSlot() {
            RedisTokenStore store = (RedisTokenStore) store();
            Set<Integer> slots = new HashSet<>();
            for (int i = 0; i < 200; i++) {
                StoreKey key = newKey();
                int slot = JedisClusterCRC16.getSlot(store.tokenKey(key));
                assertThat(JedisClusterCRC16.getSlot(store.leaseKey(key))).isEqualTo(slot);
                slots.add(slot);
            }
            assertThat(slots).as("the prefix is not part of the hash tag").hasSizeGreaterThan(100);
        }

        @Test
        @DisplayName("leases work on every master")
        void leasesOnEveryMaster() {
            for (int i = 0; i < 30; i++) {
                StoreKey key = newKey();
                var lease = store().tryLease(key, Duration.ofMinutes(1)).orElseThrow();
                assertThat(store().tryLease(key, Duration.ofMinutes(1))).isEmpty();
                assertThat(store().extend(lease, Duration.ofMinutes(2))).isTrue();
                assertThat(store().release(lease)).isTrue();
            }
        }
    }
}
