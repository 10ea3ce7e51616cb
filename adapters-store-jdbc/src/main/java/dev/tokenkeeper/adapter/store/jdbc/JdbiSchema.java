package dev.tokenkeeper.adapter.store.jdbc;

import dev.tokenkeeper.domain.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * The tables of a {@link JdbiTokenStore}: creates them on demand and checks that they are what this
 * library expects before anything touches them.
 *
 * <h2>Tables</h2>
 * For a prefix {@code p} (default {@code tokenkeeper_}): {@code p}{@code schema_version} (one row per
 * applied script), {@code p}{@code tokens} (store key, sealed bytes, expiry, row version) and
 * {@code p}{@code leases} (store key, owner, lease-until). Tokens and leases have separate tables
 * because the contract keeps them independent (saving a token does not release a lease, deleting
 * a token does not touch one), lease churn then never rewrites a token row, and neither table
 * needs nullable columns.
 *
 * <h2>Scripts</h2>
 * Versioned scripts per {@link SqlDialect} are class-path resources:
 * {@code dev/tokenkeeper/adapter/store/jdbc/schema/h2/V1__tokens_and_leases.sql} and
 * {@code …/schema/postgresql/V1__tokens_and_leases.sql}, with {@code ${schema}} and
 * {@code ${prefix}} placeholders; {@link #script(int)} returns one filled in, for teams that run
 * their DDL through their own migration tool (then build the store with {@link SchemaAction#NONE}
 * or {@link SchemaAction#VALIDATE}, and insert the version row as {@link #apply()} would).
 *
 * <h2>Safety</h2>
 * {@link #apply()} and {@link #validate()} refuse, with a {@link ConfigurationException}, to touch
 * tables they do not know: a version table with a version newer than {@link #LATEST_VERSION} or a
 * gap in its history, a version table without any row, one of the store's tables present without
 * a version table, or a table that lacks a column its version should have. Nothing is ever altered
 * or dropped silently.
 *
 * <p>Thread-safe. {@link #apply()} is idempotent and safe to call from several instances at once:
 * on PostgreSQL they serialise on an advisory lock and the DDL is transactional; on H2 calls within
 * one JVM are serialised, and (since H2 DDL is not transactional) a loser's failure is resolved by
 * re-inspecting.
 */
public final class JdbiSchema {

    /** The schema version this library writes and reads. */
    public static final int LATEST_VERSION = 1;

    /**
     * Time allowed to each schema statement. Longer than a store call's timeout because DDL and the
     * migration lock may wait for another instance's migration.
     */
    public static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(60);

    private static final List<Migration> MIGRATIONS = List.of(new Migration(1, "tokens_and_leases"));

    /** The columns each table must have once a version is applied (more are tolerated). */
    private static final Map<Integer, Map<String, Set<String>>> COLUMNS = Map.of(1, Map.of(
            Tables.VERSIONS, Set.of("version", "description", "applied_at"),
            Tables.TOKENS, Set.of("store_key", "sealed", "expires_epoch_second", "expires_nano", "version"),
            Tables.LEASES, Set.of("store_key", "owner", "lease_until")));

    /** Serialises apply() within this JVM where the database has no lock for it (H2). Migrations are rare. */
    private static final Object APPLY_LOCK = new Object();

    private final Jdbi jdbi;
    private final SqlDialect dialect;
    private final Tables tables;

    JdbiSchema(Jdbi jdbi, SqlDialect dialect, Tables tables) {
        this.jdbi = Objects.requireNonNull(jdbi, "jdbi");
        this.dialect = Objects.requireNonNull(dialect, "dialect");
        this.tables = Objects.requireNonNull(tables, "tables");
    }

    /**
     * The tables with {@code tablePrefix} in the connection's current schema, dialect detected.
     *
     * @throws ConfigurationException if the prefix is not a valid one (see
     *     {@link JdbiTokenStore.Builder#tablePrefix(String)})
     * @throws IllegalArgumentException if the database is not supported
     */
    public static JdbiSchema of(Jdbi jdbi, String tablePrefix) {
        return of(jdbi, null, tablePrefix, null);
    }

    /**
     * The tables with {@code tablePrefix} in {@code schema}.
     *
     * @param schema the database schema, or null for the connection's current one
     * @param dialect the dialect, or null to detect it from the connection
     * @throws ConfigurationException if the schema or prefix are not valid names
     * @throws IllegalArgumentException if the database is not supported
     */
    public static JdbiSchema of(Jdbi jdbi, String schema, String tablePrefix, SqlDialect dialect) {
        Objects.requireNonNull(jdbi, "jdbi");
        List<String> problems = new ArrayList<>();
        StoreOptions.checkPrefix(tablePrefix, problems);
        StoreOptions.checkSchema(schema, problems);
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }
        return new JdbiSchema(jdbi, dialect == null ? SqlDialect.detect(jdbi) : dialect, new Tables(schema, tablePrefix));
    }

    /** The dialect the scripts are written in. */
    public SqlDialect dialect() {
        return dialect;
    }

    /** The store's tables, schema-qualified where a schema was given, in creation order. */
    public List<String> tableNames() {
        return List.of(tables.versions(), tables.tokens(), tables.leases());
    }

    /**
     * Creates the tables, or upgrades them to {@link #LATEST_VERSION}; does nothing when they are
     * there already.
     *
     * @return the version now installed
     * @throws ConfigurationException if tables are present that this library does not know
     * @throws org.jdbi.v3.core.JdbiException if the database fails
     */
    public int apply() {
        if (dialect.locksMigrations()) {
            return applyOnce();
        }
        synchronized (APPLY_LOCK) {
            return applyOnce();
        }
    }

    private int applyOnce() {
        try {
            return jdbi.inTransaction(h -> {
                configure(h);
                dialect.lockForMigration(h, "tokenkeeper-schema:" + tables.describe());
                int from = installed(h);
                for (Migration m : MIGRATIONS) {
                    if (m.version() > from) {
                        h.createScript(script(m.version())).executeAsSeparateStatements();
                        h.createUpdate("INSERT INTO " + tables.versions() + " (version, description) VALUES (:v, :d)")
                                .bind("v", m.version())
                                .bind("d", m.description())
                                .execute();
                    }
                }
                return LATEST_VERSION;
            });
        } catch (ConfigurationException e) {
            throw e;
        } catch (RuntimeException e) {
            // another process may have migrated at the same moment (H2 DDL cannot be locked):
            // if the tables are now complete, the goal is reached
            try {
                if (installedVersion().orElse(0) == LATEST_VERSION) {
                    return LATEST_VERSION;
                }
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    /**
     * Checks that the tables exist at {@link #LATEST_VERSION} with the columns it defines.
     *
     * @throws ConfigurationException if they are missing, older, newer or unknown
     * @throws org.jdbi.v3.core.JdbiException if the database fails
     */
    public void validate() {
        int version = jdbi.withHandle(h -> installed(configure(h)));
        if (version == 0) {
            throw new ConfigurationException("tablePrefix/schema: the token store tables " + tables.describe()
                    + " do not exist; call JdbiSchema.apply(), build the store with schemaAction(APPLY), or run "
                    + "the scripts from JdbiSchema.script(n)");
        }
        if (version < LATEST_VERSION) {
            throw new ConfigurationException("tablePrefix/schema: the token store tables " + tables.describe()
                    + " are at schema version " + version + ", this library needs " + LATEST_VERSION
                    + "; call JdbiSchema.apply() or build the store with schemaAction(APPLY)");
        }
    }

    /**
     * The installed schema version, or empty when none of the store's tables exist.
     *
     * @throws ConfigurationException if tables are present that this library does not know
     * @throws org.jdbi.v3.core.JdbiException if the database fails
     */
    public OptionalInt installedVersion() {
        int version = jdbi.withHandle(h -> installed(configure(h)));
        return version == 0 ? OptionalInt.empty() : OptionalInt.of(version);
    }

    /**
     * The script that brings the tables to {@code version}, placeholders filled in.
     *
     * @throws IllegalArgumentException if there is no such version
     */
    public String script(int version) {
        if (version < 1 || version > LATEST_VERSION) {
            throw new IllegalArgumentException("version must be 1 to " + LATEST_VERSION + ", was " + version);
        }
        Migration m = MIGRATIONS.get(version - 1);
        String resource = dialect.scriptFolder() + m.fileName();
        // Class.getResourceAsStream, not the class loader's: in a named module the scripts' folders
        // are encapsulated, and only the module's own classes can read them
        try (InputStream in = JdbiSchema.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("schema script " + resource + " is missing from the jar");
            }
            return tables.render(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema script " + resource, e);
        }
    }

    @Override
    public String toString() {
        return "JdbiSchema[" + dialect + ", " + tables.describe() + "]";
    }

    private Handle configure(Handle h) {
        return Handles.configure(h, STATEMENT_TIMEOUT);
    }

    /** The installed version, 0 if none of the tables exist; refuses anything it does not know. */
    private int installed(Handle h) {
        Map<String, Set<String>> present = presentTables(h);
        if (present.isEmpty()) {
            return 0;
        }
        Set<String> versionColumns = present.get(Tables.VERSIONS);
        if (versionColumns == null) {
            throw refuse("table(s) " + qualifiedNames(present.keySet()) + " exist but " + tables.versions()
                    + " does not: they were not created by tokenkeeper (or were created by hand)");
        }
        if (!versionColumns.contains("version")) {
            throw refuse(tables.versions() + " has no column 'version': it is not a tokenkeeper schema version table");
        }
        List<Integer> versions = h.createQuery("SELECT version FROM " + tables.versions() + " ORDER BY version")
                .mapTo(Integer.class)
                .list();
        if (versions.isEmpty()) {
            throw refuse(tables.versions() + " has no row: an earlier apply() may have failed half-way (H2 cannot "
                    + "roll DDL back), or the table was created by hand");
        }
        int newest = versions.get(versions.size() - 1);
        if (newest > LATEST_VERSION) {
            throw refuse("schema version " + newest + " is newer than this library knows (" + LATEST_VERSION
                    + "): a newer tokenkeeper migrated it; upgrade this instance");
        }
        for (int i = 0; i < versions.size(); i++) {
            if (versions.get(i) != i + 1) {
                throw refuse(tables.versions() + " holds versions " + versions + ", not a history this library wrote");
            }
        }
        for (Map.Entry<String, Set<String>> expected : COLUMNS.get(newest).entrySet()) {
            Set<String> actual = present.get(expected.getKey());
            String table = tables.prefix() + expected.getKey();
            if (actual == null) {
                throw refuse("schema version " + newest + " is recorded but table " + table + " is missing");
            }
            Set<String> missing = new LinkedHashSet<>(expected.getValue());
            missing.removeAll(actual);
            if (!missing.isEmpty()) {
                throw refuse("table " + table + " lacks column(s) " + missing + " of schema version " + newest);
            }
        }
        return newest;
    }

    /** Which of the store's tables exist, by unprefixed name, with their lower-case column names. */
    private Map<String, Set<String>> presentTables(Handle h) {
        try {
            Connection c = h.getConnection();
            DatabaseMetaData md = c.getMetaData();
            boolean upper = md.storesUpperCaseIdentifiers();
            boolean catalogs = dialect.schemasAreCatalogs(); // MariaDB/MySQL: a schema is a database, a JDBC catalog
            String schema = tables.schema() == null ? (catalogs ? c.getCatalog() : c.getSchema())
                    : Tables.folded(tables.schema(), upper);
            String escape = md.getSearchStringEscape();
            Map<String, Set<String>> present = new LinkedHashMap<>();
            for (String suffix : List.of(Tables.VERSIONS, Tables.TOKENS, Tables.LEASES)) {
                String table = Tables.folded(tables.prefix() + suffix, upper);
                Set<String> columns = new LinkedHashSet<>();
                try (ResultSet rs = catalogs
                        ? md.getColumns(schema, null, like(table, escape), "%")
                        : md.getColumns(c.getCatalog(), like(schema, escape), like(table, escape), "%")) {
                    while (rs.next()) {
                        // the pattern is escaped, but compare exactly anyway
                        if (table.equals(rs.getString("TABLE_NAME"))
                                && (schema == null || schema.equals(rs.getString(catalogs ? "TABLE_CAT" : "TABLE_SCHEM")))) {
                            columns.add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
                        }
                    }
                }
                if (!columns.isEmpty()) {
                    present.put(suffix, columns);
                }
            }
            return present;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the table list of " + tables.describe() + " from the JDBC metadata", e);
        }
    }

    private static String like(String name, String escape) {
        if (name == null || escape == null || escape.isEmpty()) {
            return name;
        }
        return name.replace(escape, escape + escape).replace("_", escape + "_").replace("%", escape + "%");
    }

    private List<String> qualifiedNames(Set<String> suffixes) {
        List<String> names = new ArrayList<>();
        for (String s : suffixes) {
            names.add(tables.prefix() + s);
        }
        return names;
    }

    private ConfigurationException refuse(String why) {
        return new ConfigurationException("tablePrefix/schema: refusing to use " + tables.describe() + ": " + why
                + ". Nothing was changed; point the store at another tablePrefix or schema, or fix the tables");
    }

    private record Migration(int version, String description) {
        String fileName() {
            return "V" + version + "__" + description + ".sql";
        }
    }
}
