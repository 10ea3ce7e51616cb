package dev.tokenkeeper.adapter.store.jdbc;

import dev.tokenkeeper.testsupport.RequiredServers;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.jdbi.v3.core.Jdbi;

/** Databases for the tests: a private in-memory H2 each, or a private schema in a real PostgreSQL. */
final class TestDatabases {

    private TestDatabases() {}

    /** A fresh in-memory H2 database that lives until the JVM ends. */
    static Jdbi h2() {
        return Jdbi.create("jdbc:h2:mem:tk-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    }

    /** The PostgreSQL that {@link RequiredServers} finds; skips or fails the test when there is none. */
    static Jdbi postgres() {
        RequiredServers.PostgresTarget target = RequiredServers.postgres();
        return Jdbi.create(target.jdbcUrl(), target.user(), target.password());
    }

    /** The MariaDB that {@link RequiredServers} finds (loopback 3306, root, database test); skips or fails without one. */
    static Jdbi mariadb() {
        RequiredServers.PostgresTarget target = RequiredServers.mariadb();
        return Jdbi.create(target.jdbcUrl(), target.user(), target.password());
    }

    /** Drops a MariaDB database made by {@link #createUniqueSchema} (MariaDB knows no CASCADE: a database holds its tables). */
    static void dropDatabase(Jdbi jdbi, String name) {
        if (jdbi != null && name != null) {
            jdbi.useHandle(h -> h.execute("DROP DATABASE IF EXISTS " + name));
        }
    }

    /** Creates a schema no other test run uses, so that parallel runs against one server never collide. */
    static String createUniqueSchema(Jdbi jdbi) {
        String name = "tk_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        jdbi.useHandle(h -> h.execute("CREATE SCHEMA " + name));
        return name;
    }

    static void dropSchema(Jdbi jdbi, String name) {
        if (jdbi != null && name != null) {
            jdbi.useHandle(h -> h.execute("DROP SCHEMA IF EXISTS " + name + " CASCADE"));
        }
    }

    /** A clock the test moves by hand, starting at a whole second. */
    static final class MutableClock implements InstantSource {
        private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2030-01-01T00:00:00Z"));

        @Override
        public Instant instant() {
            return now.get();
        }

        void advance(Duration d) {
            now.updateAndGet(t -> t.plus(d));
        }
    }
}
