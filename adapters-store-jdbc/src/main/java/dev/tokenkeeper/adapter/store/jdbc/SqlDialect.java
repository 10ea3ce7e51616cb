package dev.tokenkeeper.adapter.store.jdbc;

import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Objects;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The SQL dialects {@link JdbiTokenStore} and {@link JdbiSchema} speak. Each has its own schema
 * scripts under {@code dev/tokenkeeper/adapter/store/jdbc/schema/<folder>/} and its own form of the
 * two statements that differ between databases: the token upsert and the conditional lease.
 *
 * <p>Another database needs a constant here with: schema scripts (types for a byte array up to
 * 1 MiB, {@code BIGINT}, {@code VARCHAR(128)}); an atomic upsert (MySQL/MariaDB
 * {@code INSERT … ON DUPLICATE KEY UPDATE}, SQL Server and Oracle {@code MERGE} with
 * {@code HOLDLOCK}/retry on a duplicate key); a lease statement that writes only when the row is
 * absent or expired, in one statement; a row-limited delete for purging; and a lock that
 * serialises concurrent {@link JdbiSchema#apply()} calls (MySQL {@code GET_LOCK}, SQL Server
 * {@code sp_getapplock}), or none where DDL failures are retried.
 *
 * <p>Immutable and thread-safe.
 */
public enum SqlDialect {

    /** H2 2.x, embedded or server; {@code MERGE … USING}, DDL not transactional. */
    H2("h2") {
        @Override
        String upsertToken(Tables t) {
            return "MERGE INTO " + t.tokens() + " t"
                    + " USING (SELECT CAST(:key AS VARCHAR(128)) AS store_key) s ON t.store_key = s.store_key"
                    + " WHEN MATCHED THEN UPDATE SET sealed = :sealed, expires_epoch_second = :second,"
                    + " expires_nano = :nano, version = t.version + 1"
                    + " WHEN NOT MATCHED THEN INSERT (store_key, sealed, expires_epoch_second, expires_nano, version)"
                    + " VALUES (:key, :sealed, :second, :nano, 1)";
        }

        @Override
        String tryLease(Tables t) {
            return "MERGE INTO " + t.leases() + " l"
                    + " USING (SELECT CAST(:key AS VARCHAR(128)) AS store_key) s ON l.store_key = s.store_key"
                    + " WHEN MATCHED AND l.lease_until <= :now THEN UPDATE SET owner = :owner, lease_until = :until"
                    + " WHEN NOT MATCHED THEN INSERT (store_key, owner, lease_until) VALUES (:key, :owner, :until)";
        }

        @Override
        String skipLocked() {
            return "";
        }

        @Override
        boolean locksMigrations() {
            return false;
        }

        @Override
        void lockForMigration(Handle handle, String name) {
            // embedded H2 is used by one process; concurrent apply() calls in it are serialised by
            // JdbiSchema, and a loser's "table exists" failure is resolved by re-inspecting
        }
    },

    /** PostgreSQL 9.5 or later; {@code INSERT … ON CONFLICT}, transactional DDL, advisory locks. */
    POSTGRESQL("postgresql") {
        @Override
        String upsertToken(Tables t) {
            return "INSERT INTO " + t.tokens() + " AS t (store_key, sealed, expires_epoch_second, expires_nano, version)"
                    + " VALUES (:key, :sealed, :second, :nano, 1)"
                    + " ON CONFLICT (store_key) DO UPDATE SET sealed = EXCLUDED.sealed,"
                    + " expires_epoch_second = EXCLUDED.expires_epoch_second, expires_nano = EXCLUDED.expires_nano,"
                    + " version = t.version + 1";
        }

        @Override
        String tryLease(Tables t) {
            // ON CONFLICT locks the existing row and evaluates the WHERE on its latest version:
            // of any number of racing callers exactly one sees a free or expired lease
            return "INSERT INTO " + t.leases() + " AS l (store_key, owner, lease_until) VALUES (:key, :owner, :until)"
                    + " ON CONFLICT (store_key) DO UPDATE SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until"
                    + " WHERE l.lease_until <= :now";
        }

        @Override
        String skipLocked() {
            return " FOR UPDATE SKIP LOCKED";
        }

        @Override
        boolean locksMigrations() {
            return true;
        }

        @Override
        void lockForMigration(Handle handle, String name) {
            // held until the migration transaction ends; other instances wait, then find it done
            handle.createQuery("SELECT pg_advisory_xact_lock(hashtext(:name))").bind("name", name).mapToMap().list();
        }
    },

    /**
     * MariaDB 10.5 or later, and MySQL 8 (issue 12): {@code INSERT … ON DUPLICATE KEY UPDATE}; DDL
     * not transactional (each statement commits), so concurrent {@link JdbiSchema#apply()} calls are
     * resolved like H2's, by re-inspecting after a loser's "table exists"; a schema is a database
     * (JDBC: a catalog).
     */
    MARIADB("mariadb") {
        @Override
        String upsertToken(Tables t) {
            return "INSERT INTO " + t.tokens() + " (store_key, sealed, expires_epoch_second, expires_nano, version)"
                    + " VALUES (:key, :sealed, :second, :nano, 1)"
                    + " ON DUPLICATE KEY UPDATE sealed = VALUES(sealed),"
                    + " expires_epoch_second = VALUES(expires_epoch_second), expires_nano = VALUES(expires_nano),"
                    + " version = version + 1";
        }

        @Override
        String tryLease(Tables t) {
            // the row is locked for the update; owner is assigned first, while lease_until still holds
            // the old value, so both IFs test the lease as it was. Whether this call won is read back
            // by owner (confirmsLeaseByOwner): the affected-row count of an unchanged duplicate depends
            // on the driver's found-rows setting
            return "INSERT INTO " + t.leases() + " (store_key, owner, lease_until) VALUES (:key, :owner, :until)"
                    + " ON DUPLICATE KEY UPDATE owner = IF(lease_until <= :now, VALUES(owner), owner),"
                    + " lease_until = IF(lease_until <= :now, VALUES(lease_until), lease_until)";
        }

        @Override
        boolean confirmsLeaseByOwner() {
            return true;
        }

        @Override
        String purge(String table, String condition) {
            // MariaDB refuses LIMIT in an IN sub-select and a sub-select of the table being deleted from
            return "DELETE FROM " + table + " WHERE " + condition + " LIMIT :limit";
        }

        @Override
        String skipLocked() {
            return "";
        }

        @Override
        boolean schemasAreCatalogs() {
            return true;
        }

        @Override
        boolean locksMigrations() {
            return false;
        }

        @Override
        void lockForMigration(Handle handle, String name) {
            // DDL commits each statement: a lock held "until the transaction ends" means nothing here
        }
    };

    private final String folder;

    SqlDialect(String folder) {
        this.folder = folder;
    }

    /**
     * The dialect of the database {@code jdbi} connects to, from its JDBC metadata. Opens one
     * connection.
     *
     * @throws IllegalArgumentException if the database is not one of these dialects
     * @throws org.jdbi.v3.core.ConnectionException if no connection can be opened
     */
    public static SqlDialect detect(Jdbi jdbi) {
        Objects.requireNonNull(jdbi, "jdbi");
        String product = jdbi.withHandle(h -> {
            try {
                DatabaseMetaData metaData = h.getConnection().getMetaData();
                return metaData.getDatabaseProductName();
            } catch (SQLException e) {
                throw new IllegalStateException("cannot read the database product name from the JDBC metadata", e);
            }
        });
        return fromProductName(product);
    }

    /**
     * The dialect for a JDBC {@link DatabaseMetaData#getDatabaseProductName() product name}.
     *
     * @throws IllegalArgumentException if the product is not supported
     */
    public static SqlDialect fromProductName(String productName) {
        Objects.requireNonNull(productName, "productName");
        String p = productName.toLowerCase(Locale.ROOT);
        if (p.equals("h2")) {
            return H2;
        }
        if (p.equals("postgresql")) {
            return POSTGRESQL;
        }
        if (p.equals("mariadb") || p.equals("mysql")) {
            return MARIADB;
        }
        throw new IllegalArgumentException("database '" + productName + "' is not supported by the JDBC token store"
                + " (supported: H2, PostgreSQL, MariaDB/MySQL); see SqlDialect for what another database needs");
    }

    /** The class-path folder of this dialect's schema scripts. */
    String scriptFolder() {
        return "dev/tokenkeeper/adapter/store/jdbc/schema/" + folder + "/";
    }

    /**
     * Inserts or replaces a token row and bumps its version, in one statement. Parameters
     * {@code key, sealed, second, nano}.
     */
    abstract String upsertToken(Tables t);

    /**
     * Takes the lease when it is absent or expired, in one statement: one row affected means won.
     * Parameters {@code key, owner, until, now}.
     */
    abstract String tryLease(Tables t);

    /**
     * Deletes at most {@code :limit} rows of {@code table} that meet {@code condition}. By default
     * through a row-picking sub-select ({@link #skipLocked()} appended), with the condition checked
     * again on each row's latest version so that a row saved again meanwhile survives.
     */
    String purge(String table, String condition) {
        return "DELETE FROM " + table + " WHERE store_key IN (SELECT store_key FROM " + table + " WHERE "
                + condition + " LIMIT :limit" + skipLocked() + ") AND " + condition;
    }

    /**
     * Whether {@link #tryLease} may report a row for a lease it did not take, so that the win is
     * read back by owner (each attempt has a new random owner).
     */
    boolean confirmsLeaseByOwner() {
        return false;
    }

    /** Whether a schema is a JDBC catalog (MySQL/MariaDB databases) rather than a JDBC schema. */
    boolean schemasAreCatalogs() {
        return false;
    }

    /** What a purge's row-picking sub-select appends so that it never waits for a row a writer holds. */
    abstract String skipLocked();

    /** Whether {@link #lockForMigration} really serialises migrations across processes. */
    abstract boolean locksMigrations();

    /** Serialises concurrent schema migrations within the current transaction, where the database can. */
    abstract void lockForMigration(Handle handle, String name);
}
