package dev.tokenkeeper.bootstrap.fleet;

import dev.tokenkeeper.adapter.store.redis.RedisTokenStore;
import dev.tokenkeeper.bootstrap.fleet.SecretScan.RawEntry;
import dev.tokenkeeper.domain.spi.TokenStore;
import dev.tokenkeeper.testsupport.RequiredServers;
import dev.tokenkeeper.testsupport.RequiredServers.LocalRedis;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import redis.clients.jedis.Jedis;

/**
 * The fleet on Redis. Steady runs and raw dumps use the shared Redis ({@link RequiredServers#redis()})
 * under a key prefix of their own; the restart test kills a private {@code redis-server} of its own
 * ({@link LocalRedis}) and starts a new one on the same port, so no other test's Redis is touched.
 */
class RedisFleetIT extends AbstractFleetIT {

    /**
     * Connect, socket and pool-wait timeout of each instance's client: the library's default. A killed
     * Redis refuses connections at once, so store calls fail fast during the outage anyway.
     */
    static final Duration TIMEOUT = RedisTokenStore.DEFAULT_TIMEOUT;

    @Override
    protected String storeName() {
        return "redis";
    }

    @Override
    protected StoreFixture sharedStore() {
        URI uri = RequiredServers.redis();
        return new RedisFixture(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort(),
                "tkfleet-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()) + ":");
    }

    @Override
    protected StoreFixture.Restartable restartableStore() {
        LocalRedis local = LocalRedis.startPrivate();
        if (local == null) {
            String message = "the Redis restart test needs a redis-server binary on the PATH to run a private server";
            if (RequiredServers.required()) {
                Assertions.fail(message);
            }
            Assumptions.abort(message);
        }
        return new PrivateRedisFixture(local);
    }

    /** Stores under one prefix of a Redis; closing deletes the prefix's keys. */
    static class RedisFixture implements StoreFixture {
        final String host;
        final int port;
        final String prefix;
        final List<TokenStore> stores = new ArrayList<>();

        RedisFixture(String host, int port, String prefix) {
            this.host = host;
            this.port = port;
            this.prefix = prefix;
        }

        @Override
        public synchronized TokenStore newStore(int instance) {
            TokenStore s = RedisTokenStore.connectBuilder(URI.create("redis://" + host + ":" + port), TIMEOUT)
                    .keyPrefix(prefix)
                    .build();
            stores.add(s);
            return s;
        }

        /** {@code KEYS <pattern>} and {@code GET} of each string key (other types are listed by type). */
        @Override
        public List<RawEntry> rawDump() {
            List<RawEntry> dump = new ArrayList<>();
            try (Jedis j = new Jedis(host, port, 1000)) {
                Set<String> keys = new TreeSet<>(j.keys(pattern()));
                for (String k : keys) {
                    byte[] key = k.getBytes(StandardCharsets.UTF_8);
                    String type = j.type(key);
                    if ("string".equals(type)) {
                        byte[] value = j.get(key);
                        if (value != null) {
                            dump.add(new RawEntry(k, value));
                        }
                    } else if (!"none".equals(type)) {
                        dump.add(new RawEntry(k + " (" + type + ", not read)", new byte[0]));
                    }
                }
            }
            return dump;
        }

        String pattern() {
            return prefix + "*";
        }

        @Override
        public boolean isTokenEntry(RawEntry entry) {
            return entry.name().endsWith(":token");
        }

        @Override
        public void close() {
            try (Jedis j = new Jedis(host, port, 1000)) {
                for (String k : j.keys(pattern())) {
                    j.del(k);
                }
            } catch (RuntimeException e) {
                // the server is gone: nothing to clean
            }
        }
    }

    /** A private redis-server the test may kill and start again on the same port; dumps see the whole server. */
    static final class PrivateRedisFixture extends RedisFixture implements StoreFixture.Restartable {
        private LocalRedis local;

        PrivateRedisFixture(LocalRedis local) {
            super("127.0.0.1", local.port(), RedisTokenStore.DEFAULT_KEY_PREFIX);
            this.local = local;
        }

        @Override
        String pattern() {
            return "*"; // the server is ours: dump every key in it
        }

        @Override
        public synchronized void stopServer() {
            local.kill(); // SIGKILL, as a crash: no goodbye to the clients
            if (RequiredServers.portOpen("127.0.0.1", port)) {
                throw new IllegalStateException("redis-server still listens on " + port + " after the kill");
            }
        }

        @Override
        public synchronized void startServer() {
            LocalRedis restarted = LocalRedis.startPrivate(port);
            if (restarted == null) {
                throw new IllegalStateException("redis-server did not start again on port " + port);
            }
            local = restarted;
        }

        @Override
        public synchronized void close() {
            super.close();
            stores.forEach(s -> {
                try {
                    s.close();
                } catch (Exception ignored) {
                    // already closed by its instance
                }
            });
            local.kill();
        }
    }
}
