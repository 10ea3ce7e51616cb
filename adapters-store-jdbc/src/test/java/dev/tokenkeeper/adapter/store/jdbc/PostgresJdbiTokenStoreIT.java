package dev.tokenkeeper.adapter.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.testsupport.Await;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The JDBC store under real concurrency on PostgreSQL: every thread is its own store instance with
 * its own connections, as the instances of a cluster would be. Runs in a schema of its own.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresJdbiTokenStoreIT {

    private static final int CONTENDERS = 16;
    private static final int ROUNDS = 10;

    private static Jdbi jdbi;
    private static String schema;

    private final TestDatabases.MutableClock clock = new TestDatabases.MutableClock();

    @BeforeAll
    static void createSchema() {
        jdbi = TestDatabases.postgres();
        schema = TestDatabases.createUniqueSchema(jdbi);
        JdbiSchema.of(jdbi, schema, JdbiTokenStore.DEFAULT_TABLE_PREFIX, null).apply();
    }

    @AfterAll
    static void dropSchema() {
        TestDatabases.dropSchema(jdbi, schema);
    }

    private JdbiTokenStore newInstance() {
        return JdbiTokenStore.builder(jdbi).schema(schema).clock(clock).build();
    }

    private static StoreKey newKey(String name) {
        return new StoreKey(name + "-" + Long.toHexString(System.nanoTime()));
    }

    @Test
    @DisplayName("of 16 instances racing tryLease on one key, exactly one wins, round after round")
    void exactlyOneLeaseWinner() throws Exception {
        List<JdbiTokenStore> instances = new ArrayList<>();
        for (int i = 0; i < CONTENDERS; i++) {
            instances.add(newInstance());
        }
        ExecutorService pool = Executors.newFixedThreadPool(CONTENDERS);
        try {
            for (int round = 0; round < ROUNDS; round++) {
                StoreKey key = newKey("race");
                if (round % 2 == 1) {
                    // half the rounds race over an ended lease row (the update branch), not an absent one
                    instances.get(0).tryLease(key, Duration.ofSeconds(1)).orElseThrow();
                    clock.advance(Duration.ofSeconds(2));
                }
                CyclicBarrier start = new CyclicBarrier(CONTENDERS);
                List<Future<Optional<Lease>>> attempts = new ArrayList<>();
                for (JdbiTokenStore instance : instances) {
                    attempts.add(pool.submit(() -> {
                        start.await();
                        return instance.tryLease(key, Duration.ofMinutes(1));
                    }));
                }
                List<Lease> winners = new ArrayList<>();
                for (Future<Optional<Lease>> attempt : attempts) {
                    attempt.get(60, TimeUnit.SECONDS).ifPresent(winners::add);
                }
                assertThat(winners).as("winners of round %d", round).hasSize(1);
                assertThat(instances.get(5).release(winners.get(0))).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("concurrent saves never leave a half-written row, and each bumps the version once")
    void concurrentSavesAreWhole() throws Exception {
        StoreKey key = newKey("saves");
        Instant base = clock.instant().plus(Duration.ofDays(1));
        int writers = 4;
        int readers = 4;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong saves = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        ConcurrentLinkedQueue<String> torn = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(writers + readers);
        try {
            List<Future<?>> tasks = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                JdbiTokenStore store = newInstance();
                int writer = w;
                tasks.add(pool.submit(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        // the value's bytes, its length and its expiry all name the same number
                        int v = (writer * 1_000_000 + i) % 200 + 1;
                        byte[] bytes = new byte[v * 10];
                        Arrays.fill(bytes, (byte) v);
                        store.save(key, new SealedToken(bytes, base.plusSeconds(v)));
                        saves.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (int r = 0; r < readers; r++) {
                JdbiTokenStore store = newInstance();
                tasks.add(pool.submit(() -> {
                    while (!stop.get()) {
                        store.load(key).ifPresent(t -> {
                            reads.incrementAndGet();
                            byte[] b = t.bytes();
                            int v = b[0] & 0xFF;
                            boolean whole = b.length == v * 10
                                    && t.expiresAt().equals(base.plusSeconds(v))
                                    && allEqual(b);
                            if (!whole) {
                                torn.add(t.toString());
                            }
                        });
                    }
                    return null;
                }));
            }
            // enough overlapping work to tear a row if saves could, however fast or slow the server is today
            Await.until("50 saves and 50 reads of the same row", Duration.ofSeconds(30),
                    () -> saves.get() >= 50 && reads.get() >= 50);
            stop.set(true);
            for (Future<?> task : tasks) {
                task.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(torn).as("torn reads").isEmpty();
        assertThat(saves.get()).isPositive();
        long version = jdbi.withHandle(h -> h.createQuery("SELECT version FROM " + schema + ".tokenkeeper_tokens"
                + " WHERE store_key = :k").bind("k", key.value()).mapTo(Long.class).one());
        assertThat(version).as("one version bump per save").isEqualTo(saves.get());
    }

    @Test
    @DisplayName("purge removes only expired rows, while readers keep reading the live ones")
    void purgeOnlyExpired() {
        JdbiTokenStore store = JdbiTokenStore.builder(jdbi).schema(schema).clock(clock).purgeBatchSize(3).build();
        String run = Long.toHexString(System.nanoTime());
        for (int i = 0; i < 7; i++) {
            store.save(new StoreKey("old-" + run + i), new SealedToken(new byte[] {1}, clock.instant().plusSeconds(5)));
        }
        clock.advance(Duration.ofSeconds(5));
        StoreKey live = new StoreKey("live-" + run);
        SealedToken token = new SealedToken(new byte[] {2}, clock.instant().plusMillis(1));
        store.save(live, token);

        assertThat(store.purgeExpired()).isGreaterThanOrEqualTo(7);

        assertThat(store.load(live)).contains(token);
        long left = jdbi.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM " + schema + ".tokenkeeper_tokens"
                + " WHERE store_key LIKE :p").bind("p", "%-" + run + "%").mapTo(Long.class).one());
        assertThat(left).isEqualTo(1);
    }

    private static boolean allEqual(byte[] b) {
        for (byte x : b) {
            if (x != b[0]) {
                return false;
            }
        }
        return true;
    }
}
