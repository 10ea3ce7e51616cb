package dev.tokenkeeper.adapter.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.ConfigurationException;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@link JdbiSchema} on an in-memory H2 database. */
class JdbiSchemaTest extends JdbiSchemaContract {

    private static final Jdbi JDBI = TestDatabases.h2();

    @Override
    Jdbi jdbi() {
        return JDBI;
    }

    @Override
    String schemaName() {
        return null;
    }

    @Test
    @DisplayName("works in a named schema too")
    void namedSchema() {
        JDBI.useHandle(h -> h.execute("CREATE SCHEMA IF NOT EXISTS auth"));
        JdbiSchema schema = JdbiSchema.of(JDBI, "auth", "tk_", SqlDialect.H2);
        assertThat(schema.apply()).isEqualTo(1);
        assertThat(schema.tableNames()).containsExactly("auth.tk_schema_version", "auth.tk_tokens", "auth.tk_leases");
        assertThat(JdbiSchema.of(JDBI, "tk_").installedVersion()).as("not in the current schema").isEmpty();
    }

    @Test
    @DisplayName("refuses names that are not plain identifiers, naming the setting")
    void badNames() {
        assertThatThrownBy(() -> JdbiSchema.of(JDBI, "x; DROP TABLE y", "tk_", SqlDialect.H2))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("schema:");
        assertThatThrownBy(() -> JdbiSchema.of(JDBI, "Tokens"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("tablePrefix:");
    }

    @Test
    @DisplayName("the dialect is detected from the connection")
    void detectsDialect() {
        assertThat(JdbiSchema.of(JDBI, newPrefix()).dialect()).isEqualTo(SqlDialect.H2);
        assertThat(SqlDialect.fromProductName("MariaDB")).isEqualTo(SqlDialect.MARIADB); // issue 12
        assertThat(SqlDialect.fromProductName("MySQL")).isEqualTo(SqlDialect.MARIADB);
        assertThatThrownBy(() -> SqlDialect.fromProductName("Oracle"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'Oracle' is not supported");
    }
}
