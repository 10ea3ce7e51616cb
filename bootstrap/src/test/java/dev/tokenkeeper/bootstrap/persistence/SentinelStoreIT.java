package dev.tokenkeeper.bootstrap.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.testsupport.LocalRedisSentinel;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/**
 * Issue 12: Redis Sentinel from configuration alone ({@code store.type=redis},
 * {@code store.url=redis-sentinel://host:port/master}), against a local sentinel started by the test.
 */
class SentinelStoreIT {

    final LocalRedisSentinel sentinel = LocalRedisSentinel.start();
    final FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofHours(1));

    @AfterEach
    void stop() {
        idp.close();
        sentinel.close();
    }

    @Test
    @DisplayName("two instances configured with a redis-sentinel:// URL share one token through the sentinel's master")
    void sharedThroughSentinel() {
        Map<String, String> settings = Map.of(
                "clients.orders.token-url", idp.tokenUri().toString(),
                "clients.orders.client-id", "orders",
                "clients.orders.client-secret", "orders-secret-value",
                "store.type", "redis",
                "store.url", sentinel.storeUrl().toString(),
                "store.prefix", "tk-sentinel-it:",
                "sealing.keys", SealingKeys.generateSpec("k1"),
                "refresh.proactive", "false");
        TokenkeeperConfig config = TokenkeeperConfig.from(Settings.of(settings));
        assertThat(config.store().toString()).contains("redis-sentinel://");
        AccessToken first;
        try (Tokenkeeper a = Tokenkeeper.start(config)) {
            first = a.provider().token(a.key("orders"));
        }
        try (Tokenkeeper b = Tokenkeeper.start(config)) {
            assertThat(b.provider().token(b.key("orders"))).isEqualTo(first);
        }
        assertThat(idp.requestCount()).as("the second instance found the token through the sentinel").isEqualTo(1);
        try (Jedis master = new Jedis("127.0.0.1", sentinel.masterPort())) {
            assertThat(master.keys("tk-sentinel-it:*")).isNotEmpty();
        }
    }
}
