package dev.tokenkeeper.adapter.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@link JdbiSchema} on a real PostgreSQL, in a schema of its own that is dropped afterwards. */
class PostgresJdbiSchemaIT extends JdbiSchemaContract {

    private static Jdbi jdbi;
    private static String schema;

    @BeforeAll
    static void createSchema() {
        jdbi = TestDatabases.postgres();
        schema = TestDatabases.createUniqueSchema(jdbi);
    }

    @AfterAll
    static void dropSchema() {
        TestDatabases.dropSchema(jdbi, schema);
    }

    @Override
    Jdbi jdbi() {
        return jdbi;
    }

    @Override
    String schemaName() {
        return schema;
    }

    @Test
    @DisplayName("the dialect is detected from the connection")
    void detectsDialect() {
        assertThat(schema(newPrefix()).dialect()).isEqualTo(SqlDialect.POSTGRESQL);
    }

    @Test
    @DisplayName("instances applying at the same moment all succeed, and the scripts run once")
    void concurrentApply() throws Exception {
        String prefix = newPrefix();
        int instances = 6;
        ExecutorService pool = Executors.newFixedThreadPool(instances);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < instances; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return schema(prefix).apply();
                }));
            }
            start.countDown();
            for (Future<Integer> r : results) {
                assertThat(r.get(60, TimeUnit.SECONDS)).isEqualTo(JdbiSchema.LATEST_VERSION);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(versionRows(prefix)).containsExactly(1);
    }
}
