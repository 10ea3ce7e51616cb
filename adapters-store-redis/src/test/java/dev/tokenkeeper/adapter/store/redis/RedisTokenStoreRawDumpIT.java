package dev.tokenkeeper.adapter.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.testsupport.RequiredServers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.UnifiedJedis;

/**
 * Reads back, with plain Redis commands, everything the store wrote under a private prefix: only
 * the key names built from the prefix and the store keys, values that are the sealed bytes behind a
 * 13-byte header, random lease owners, and a TTL on every key. (Whether a plaintext token can reach
 * Redis through the manager is tested with the manager.)
 */
class RedisTokenStoreRawDumpIT {

    private static UnifiedJedis jedis;

    private final String prefix = "tokenkeeper-dump-" + UUID.randomUUID().toString().substring(0, 8) + ":";

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

    @Test
    @DisplayName("Redis holds only digest-named keys, the sealed bytes written, lease owners, all with a TTL")
    void dump() {
        RedisTokenStore store = RedisTokenStore.builder(jedis).keyPrefix(prefix).build();
        Map<StoreKey, SealedToken> saved = new HashMap<>();
        for (int size : new int[] {1, 64, 8 * 1024}) {
            byte[] bytes = new byte[size];
            ThreadLocalRandom.current().nextBytes(bytes);
            StoreKey key = new StoreKey("digest-" + UUID.randomUUID());
            SealedToken token = new SealedToken(bytes, Instant.now().plusSeconds(600).truncatedTo(ChronoUnit.MILLIS));
            store.save(key, token);
            saved.put(key, token);
        }
        StoreKey leased = new StoreKey("digest-" + UUID.randomUUID());
        Lease lease = store.tryLease(leased, Duration.ofMinutes(5)).orElseThrow();

        Set<String> keys = jedis.keys(prefix + "*");
        Set<String> expected = new java.util.HashSet<>();
        saved.keySet().forEach(k -> expected.add(prefix + "{" + k.value() + "}:token"));
        expected.add(prefix + "{" + leased.value() + "}:lease");
        assertThat(keys).containsExactlyInAnyOrderElementsOf(expected);

        for (Map.Entry<StoreKey, SealedToken> e : saved.entrySet()) {
            String redisKey = prefix + "{" + e.getKey().value() + "}:token";
            byte[] raw = jedis.get(redisKey.getBytes(StandardCharsets.US_ASCII));
            SealedToken token = e.getValue();
            assertThat(raw).hasSize(EntryCodec.HEADER_LENGTH + token.length());
            ByteBuffer header = ByteBuffer.wrap(raw, 0, EntryCodec.HEADER_LENGTH);
            assertThat(header.get()).isEqualTo(EntryCodec.FORMAT_V1);
            assertThat(Instant.ofEpochSecond(header.getLong(), header.getInt())).isEqualTo(token.expiresAt());
            assertThat(Arrays.copyOfRange(raw, EntryCodec.HEADER_LENGTH, raw.length)).isEqualTo(token.bytes());
        }
        String leaseKey = prefix + "{" + leased.value() + "}:lease";
        assertThat(jedis.get(leaseKey)).isEqualTo(lease.owner()).matches("[0-9a-f]{32}");

        for (String k : keys) {
            assertThat(jedis.pttl(k)).as("TTL of %s", k).isPositive();
        }

        store.close();
        assertThat(jedis.ping()).as("the store does not close a client it was given").isEqualTo("PONG");
        jedis.del(keys.toArray(String[]::new));
    }
}
