package dev.tokenkeeper.adapter.store.jdbc;

import dev.tokenkeeper.domain.spi.TokenStore;
import dev.tokenkeeper.store.tck.TokenStoreCompatibilityKit;
import java.time.Duration;
import java.time.Instant;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Issue 12: the store contract on a real MariaDB (loopback 3306, root, database test), in a
 * database of its own, time moved by an injected clock: the same kit as PostgreSQL and H2.
 */
class MariaDbJdbiTokenStoreCompatibilityIT extends TokenStoreCompatibilityKit {

    private static Jdbi jdbi;
    private static String schema;
    private final TestDatabases.MutableClock clock = new TestDatabases.MutableClock();

    @BeforeAll
    static void createSchema() {
        jdbi = TestDatabases.mariadb();
        schema = TestDatabases.createUniqueSchema(jdbi);
        JdbiSchema.of(jdbi, schema, JdbiTokenStore.DEFAULT_TABLE_PREFIX, null).apply();
    }

    @AfterAll
    static void dropSchema() {
        TestDatabases.dropDatabase(jdbi, schema);
    }

    @Override
    protected TokenStore createStore() {
        return JdbiTokenStore.builder(jdbi).schema(schema).clock(clock).build();
    }

    @Override
    protected Instant now() {
        return clock.instant();
    }

    @Override
    protected void elapse(Duration duration) {
        clock.advance(duration);
    }
}
