package dev.tokenkeeper.adapter.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.ConfigurationException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What {@link JdbiSchema} promises, on any database: each test works on its own table prefix, so
 * they share one database (or schema) without cleaning up between them.
 */
abstract class JdbiSchemaContract {

    private static final AtomicInteger PREFIXES = new AtomicInteger();

    /** The database under test. */
    abstract Jdbi jdbi();

    /** The schema the tests work in, or null for the current one. */
    abstract String schemaName();

    final String newPrefix() {
        return "s" + PREFIXES.incrementAndGet() + "_";
    }

    final JdbiSchema schema(String prefix) {
        return JdbiSchema.of(jdbi(), schemaName(), prefix, null);
    }

    final String table(String prefix, String suffix) {
        return (schemaName() == null ? "" : schemaName() + ".") + prefix + suffix;
    }

    final List<Integer> versionRows(String prefix) {
        return jdbi().withHandle(h -> h.createQuery("SELECT version FROM " + table(prefix, "schema_version")
                + " ORDER BY version").mapTo(Integer.class).list());
    }

    @Test
    @DisplayName("apply creates the tables once and is a no-op after that")
    void applyIsIdempotent() {
        String prefix = newPrefix();
        JdbiSchema schema = schema(prefix);
        assertThat(schema.installedVersion()).isEmpty();
        assertThat(schema.apply()).isEqualTo(JdbiSchema.LATEST_VERSION);
        assertThat(schema.apply()).isEqualTo(JdbiSchema.LATEST_VERSION);
        assertThat(schema(prefix).apply()).isEqualTo(JdbiSchema.LATEST_VERSION);
        assertThat(versionRows(prefix)).containsExactly(1);
        assertThat(schema.installedVersion()).hasValue(JdbiSchema.LATEST_VERSION);
        schema.validate();
    }

    @Test
    @DisplayName("apply leaves the data in place")
    void applyKeepsData() {
        String prefix = newPrefix();
        schema(prefix).apply();
        jdbi().useHandle(h -> h.execute("INSERT INTO " + table(prefix, "tokens")
                + " (store_key, sealed, expires_epoch_second, expires_nano, version) VALUES ('k', ?, 1, 0, 1)",
                (Object) new byte[] {1}));
        schema(prefix).apply();
        assertThat(count(table(prefix, "tokens"))).isEqualTo(1);
    }

    @Test
    @DisplayName("validate says what to do when the tables do not exist")
    void validateMissing() {
        JdbiSchema schema = schema(newPrefix());
        assertThatThrownBy(schema::validate)
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("do not exist")
                .hasMessageContaining("apply()");
    }

    @Test
    @DisplayName("a newer schema version is refused by validate, apply and the store builder, and left alone")
    void refusesNewerVersion() {
        String prefix = newPrefix();
        schema(prefix).apply();
        jdbi().useHandle(h -> h.execute("INSERT INTO " + table(prefix, "schema_version")
                + " (version, description) VALUES (2, 'from the future')"));
        JdbiSchema schema = schema(prefix);
        assertThatThrownBy(schema::validate).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("schema version 2 is newer than this library knows (1)");
        assertThatThrownBy(schema::apply).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("newer");
        assertThatThrownBy(schema::installedVersion).isInstanceOf(ConfigurationException.class);
        for (SchemaAction action : List.of(SchemaAction.VALIDATE, SchemaAction.APPLY)) {
            assertThatThrownBy(() -> JdbiTokenStore.builder(jdbi()).schema(schemaName()).tablePrefix(prefix)
                            .schemaAction(action).build())
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("newer");
        }
        assertThat(versionRows(prefix)).containsExactly(1, 2);
    }

    @Test
    @DisplayName("a foreign table with a store table's name is refused and not touched")
    void refusesForeignTable() {
        String prefix = newPrefix();
        jdbi().useHandle(h -> {
            h.execute("CREATE TABLE " + table(prefix, "tokens") + " (id INTEGER PRIMARY KEY, payload VARCHAR(10))");
            h.execute("INSERT INTO " + table(prefix, "tokens") + " VALUES (1, 'theirs')");
        });
        JdbiSchema schema = schema(prefix);
        assertThatThrownBy(schema::validate).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("not created by tokenkeeper")
                .hasMessageContaining(prefix + "tokens")
                .hasMessageContaining("Nothing was changed");
        assertThatThrownBy(schema::apply).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("not created by tokenkeeper");
        assertThat(count(table(prefix, "tokens"))).isEqualTo(1);
        String payload = jdbi().withHandle(h -> h.createQuery("SELECT payload FROM " + table(prefix, "tokens"))
                .mapTo(String.class).one());
        assertThat(payload).isEqualTo("theirs");
        assertThatThrownBy(() -> count(table(prefix, "schema_version")))
                .as("apply created nothing next to the foreign table")
                .isInstanceOf(RuntimeException.class);
    }

    @Test
    @DisplayName("a foreign table named like the version table is refused")
    void refusesForeignVersionTable() {
        String prefix = newPrefix();
        jdbi().useHandle(h -> h.execute("CREATE TABLE " + table(prefix, "schema_version") + " (id INTEGER)"));
        assertThatThrownBy(schema(prefix)::apply).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("no column 'version'");
    }

    @Test
    @DisplayName("a version table without rows is refused")
    void refusesEmptyVersionTable() {
        String prefix = newPrefix();
        schema(prefix).apply();
        jdbi().useHandle(h -> h.execute("DELETE FROM " + table(prefix, "schema_version")));
        assertThatThrownBy(schema(prefix)::apply).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("has no row");
    }

    @Test
    @DisplayName("a recorded version whose table lacks a column is refused")
    void refusesMissingColumn() {
        String prefix = newPrefix();
        schema(prefix).apply();
        jdbi().useHandle(h -> h.execute("ALTER TABLE " + table(prefix, "leases") + " DROP COLUMN owner"));
        assertThatThrownBy(schema(prefix)::validate).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("lacks column(s) [owner]");
    }

    @Test
    @DisplayName("tables under another prefix are another store")
    void prefixesAreIndependent() {
        String a = newPrefix();
        String b = newPrefix();
        schema(a).apply();
        assertThat(schema(b).installedVersion()).isEmpty();
    }

    @Test
    @DisplayName("the script for a version has its placeholders filled in")
    void scriptIsRendered() {
        String prefix = newPrefix();
        String script = schema(prefix).script(1);
        assertThat(script).doesNotContain("${").contains("CREATE TABLE " + table(prefix, "tokens"));
        assertThatThrownBy(() -> schema(prefix).script(2)).isInstanceOf(IllegalArgumentException.class);
    }

    final long count(String table) {
        return jdbi().withHandle(h -> h.createQuery("SELECT COUNT(*) FROM " + table).mapTo(Long.class).one());
    }
}
