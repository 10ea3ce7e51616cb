package dev.tokenkeeper.adapter.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.jdbcx.JdbcDataSource;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** What the JDBC store does beyond the contract the kit checks, on an in-memory H2 database. */
class JdbiTokenStoreTest {

    private static final AtomicInteger PREFIXES = new AtomicInteger();
    private static final Jdbi JDBI = TestDatabases.h2();

    private final TestDatabases.MutableClock clock = new TestDatabases.MutableClock();
    private final String prefix = "st" + PREFIXES.incrementAndGet() + "_";

    private JdbiTokenStore.Builder builder() {
        return JdbiTokenStore.builder(JDBI).tablePrefix(prefix).clock(clock);
    }

    private JdbiTokenStore store() {
        return builder().schemaAction(SchemaAction.APPLY).build();
    }

    private SealedToken token(int b, Duration lifetime) {
        return new SealedToken(new byte[] {(byte) b}, clock.instant().plus(lifetime));
    }

    private long count(String table) {
        return JDBI.withHandle(h -> h.createQuery("SELECT COUNT(*) FROM " + prefix + table).mapTo(Long.class).one());
    }

    @Nested
    @DisplayName("Building")
    class Building {

        @Test
        @DisplayName("every invalid setting is reported at once, each naming its setting")
        void allProblemsAtOnce() {
            assertThatThrownBy(() -> JdbiTokenStore.builder(JDBI)
                            .tablePrefix("Bad-Prefix")
                            .schema("1nope")
                            .clock(null)
                            .queryTimeout(Duration.ZERO)
                            .purgeBatchSize(0)
                            .schemaAction(null)
                            .build())
                    .isInstanceOfSatisfying(ConfigurationException.class, e -> assertThat(e.problems())
                            .hasSize(6)
                            .anySatisfy(p -> assertThat(p).startsWith("tablePrefix:").contains("'Bad-Prefix'"))
                            .anySatisfy(p -> assertThat(p).startsWith("schema:"))
                            .anySatisfy(p -> assertThat(p).startsWith("clock:"))
                            .anySatisfy(p -> assertThat(p).startsWith("queryTimeout:").contains("PT1S to PT10M"))
                            .anySatisfy(p -> assertThat(p).startsWith("purgeBatchSize:").contains("1 to 10000"))
                            .anySatisfy(p -> assertThat(p).startsWith("schemaAction:")));
        }

        @Test
        @DisplayName("a prefix too long for PostgreSQL's 63-character names is refused")
        void prefixTooLong() {
            assertThatThrownBy(() -> builder().tablePrefix("a".repeat(41)).build())
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("tablePrefix: must be 1 to 40 characters");
        }

        @Test
        @DisplayName("by default the schema is validated, not created")
        void validatesByDefault() {
            assertThatThrownBy(() -> builder().build())
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("do not exist");
            assertThat(JdbiSchema.of(JDBI, prefix).installedVersion()).isEmpty();
        }

        @Test
        @DisplayName("SchemaAction.NONE touches nothing at build time")
        void noneTouchesNothing() {
            JdbiTokenStore store = builder().schemaAction(SchemaAction.NONE).dialect(SqlDialect.H2).build();
            assertThat(store.dialect()).isEqualTo(SqlDialect.H2);
            assertThat(JdbiSchema.of(JDBI, prefix).installedVersion()).isEmpty();
        }

        @Test
        @DisplayName("a DataSource can be given instead of a Jdbi")
        void fromDataSource() {
            JdbcDataSource ds = new JdbcDataSource();
            ds.setURL("jdbc:h2:mem:tk-ds-" + prefix + ";DB_CLOSE_DELAY=-1");
            JdbiTokenStore store = JdbiTokenStore.builder(ds).clock(clock).schemaAction(SchemaAction.APPLY).build();
            StoreKey key = new StoreKey("k");
            store.save(key, token(1, Duration.ofMinutes(1)));
            assertThat(store.load(key)).isPresent();
            assertThat(store.isPersistent()).isTrue();
            assertThat(store).hasToString("JdbiTokenStore[H2, <current schema>.tokenkeeper_*]");
        }

        @Test
        @DisplayName("the caller's Jdbi configuration (here a template engine) is neither used nor changed")
        void callerConfigurationIsLeftAlone() {
            Jdbi jdbi = TestDatabases.h2();
            jdbi.setTemplateEngine((sql, ctx) -> {
                throw new AssertionError("the caller's template engine was used");
            });
            JdbiTokenStore store = JdbiTokenStore.builder(jdbi).clock(clock).schemaAction(SchemaAction.APPLY).build();
            StoreKey key = new StoreKey("k");
            store.save(key, token(1, Duration.ofMinutes(1)));
            assertThat(store.tryLease(key, Duration.ofSeconds(1))).isPresent();
            assertThat(store.purgeExpired()).isZero();
            assertThatThrownBy(() -> jdbi.useHandle(h -> h.execute("SELECT 1"))).isInstanceOf(AssertionError.class);
        }

        @Test
        @DisplayName("a lease time to live must be positive")
        void ttlMustBePositive() {
            JdbiTokenStore store = store();
            StoreKey key = new StoreKey("k");
            assertThatThrownBy(() -> store.tryLease(key, Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
            Lease lease = store.tryLease(key, Duration.ofSeconds(1)).orElseThrow();
            assertThatThrownBy(() -> store.extend(lease, Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.load(null)).hasMessage("key");
            assertThatThrownBy(() -> store.save(key, null)).hasMessage("token");
        }
    }

    @Nested
    @DisplayName("Rows")
    class Rows {

        @Test
        @DisplayName("every save replaces the row and bumps its version")
        void saveBumpsVersion() {
            JdbiTokenStore store = store();
            StoreKey key = new StoreKey("k");
            store.save(key, token(1, Duration.ofMinutes(1)));
            store.save(key, token(2, Duration.ofMinutes(2)));
            store.save(key, token(3, Duration.ofMinutes(3)));
            long version = JDBI.withHandle(h -> h.createQuery("SELECT version FROM " + prefix + "tokens")
                    .mapTo(Long.class).one());
            assertThat(version).isEqualTo(3);
            assertThat(store.load(key)).contains(token(3, Duration.ofMinutes(3)));
        }

        @Test
        @DisplayName("an expiry with nanoseconds round-trips exactly")
        void nanosRoundTrip() {
            JdbiTokenStore store = store();
            StoreKey key = new StoreKey("k");
            SealedToken token = new SealedToken(new byte[] {7}, Instant.parse("2031-02-03T04:05:06.123456789Z"));
            store.save(key, token);
            assertThat(store.load(key)).contains(token);
        }

        @Test
        @DisplayName("rows with empty bytes, an impossible expiry or an invalid key read as absent")
        void badDataIsAbsent() {
            JdbiTokenStore store = store();
            long live = clock.instant().getEpochSecond() + 60;
            JDBI.useHandle(h -> {
                String insert = "INSERT INTO " + prefix + "tokens"
                        + " (store_key, sealed, expires_epoch_second, expires_nano, version) VALUES (?, ?, ?, ?, 1)";
                h.execute(insert, "empty", new byte[0], live, 0);
                h.execute(insert, "bad-nano", new byte[] {1}, live, 2_000_000_000);
                h.execute(insert, "bad-second", new byte[] {1}, Long.MAX_VALUE, 0);
                h.execute(insert, "bad key!", new byte[] {1}, live, 0);
                h.execute(insert, "good", new byte[] {1}, live, 0);
            });
            assertThat(store.load(new StoreKey("empty"))).isEmpty();
            assertThat(store.load(new StoreKey("bad-nano"))).isEmpty();
            assertThat(store.load(new StoreKey("bad-second"))).isEmpty();
            List<String> seen = new ArrayList<>();
            store.forEach((k, v) -> seen.add(k.value()));
            assertThat(seen).containsExactly("good");
            store.save(new StoreKey("empty"), token(9, Duration.ofMinutes(1)));
            assertThat(store.load(new StoreKey("empty"))).as("a good save repairs the row").isPresent();
        }

        @Test
        @DisplayName("forEach walks every live entry once, in pages, in key order")
        void forEachPages() {
            JdbiTokenStore store = store();
            int n = JdbiTokenStore.FOR_EACH_PAGE_SIZE * 2 + 3;
            for (int i = 0; i < n; i++) {
                store.save(new StoreKey(String.format("k%05d", i)), token(i, Duration.ofMinutes(1)));
            }
            store.save(new StoreKey("expired"), token(0, Duration.ofSeconds(-1)));
            List<String> seen = new ArrayList<>();
            store.forEach((k, v) -> seen.add(k.value()));
            assertThat(seen).hasSize(n).isSorted().doesNotHaveDuplicates().doesNotContain("expired");
        }

        @Test
        @DisplayName("lease ends are kept in milliseconds, rounded up, and never overflow")
        void leaseEndRounding() {
            Instant now = Instant.parse("2030-01-01T00:00:00Z");
            assertThat(JdbiTokenStore.leaseEnd(now, Duration.ofMillis(400))).isEqualTo(now.toEpochMilli() + 400);
            assertThat(JdbiTokenStore.leaseEnd(now, Duration.ofNanos(400_000_001))).isEqualTo(now.toEpochMilli() + 401);
            assertThat(JdbiTokenStore.leaseEnd(now, Duration.ofSeconds(Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);
        }
    }

    @Nested
    @DisplayName("Purging")
    class Purging {

        @Test
        @DisplayName("removes expired tokens and ended leases only, in batches")
        void purgeOnlyExpired() {
            JdbiTokenStore store = builder().schemaAction(SchemaAction.APPLY).purgeBatchSize(2).build();
            for (int i = 0; i < 5; i++) {
                store.save(new StoreKey("old" + i), token(i, Duration.ofSeconds(10)));
            }
            store.tryLease(new StoreKey("old-lease"), Duration.ofSeconds(10)).orElseThrow();
            clock.advance(Duration.ofSeconds(10));
            // expired exactly now: the contract calls it gone, so purge may take it
            store.save(new StoreKey("edge"), token(9, Duration.ZERO));
            for (int i = 0; i < 3; i++) {
                store.save(new StoreKey("live" + i), token(i, Duration.ofMillis(1)));
            }
            Lease held = store.tryLease(new StoreKey("held"), Duration.ofMillis(1)).orElseThrow();

            assertThat(store.purgeExpired()).isEqualTo(5 + 1 + 1);

            assertThat(count("tokens")).isEqualTo(3);
            assertThat(count("leases")).isEqualTo(1);
            for (int i = 0; i < 3; i++) {
                assertThat(store.load(new StoreKey("live" + i))).isPresent();
            }
            assertThat(store.tryLease(new StoreKey("held"), Duration.ofSeconds(1))).as("still held").isEmpty();
            assertThat(store.release(held)).isTrue();
            assertThat(store.purgeExpired()).isZero();
        }

        @Test
        @DisplayName("an empty store purges nothing")
        void purgeEmpty() {
            assertThat(store().purgeExpired()).isZero();
        }
    }
}
