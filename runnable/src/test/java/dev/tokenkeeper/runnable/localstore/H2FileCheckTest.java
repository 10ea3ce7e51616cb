package dev.tokenkeeper.runnable.localstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class H2FileCheckTest {

    @TempDir
    Path tmp;

    Path fresh(String prefix) {
        try (LocalStore s = LocalStore.open(tmp, InstantSource.system(), prefix)) {
            assertThat(s.inMemoryOnly()).isFalse();
            s.store().save(new StoreKey("k"), new SealedToken(new byte[] {1}, Instant.now().plusSeconds(60)));
        }
        return tmp.resolve(LocalStore.DATABASE_FILE);
    }

    void run(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(LocalStore.jdbcUrl(tmp), LocalStore.user(), "");
                Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    @Test
    @DisplayName("a file the store made, under two prefixes, is clean; so are an absent and an empty file")
    void clean() throws Exception {
        assertThat(H2FileCheck.inspect(tmp.resolve("absent.mv.db")).kind()).isEqualTo(H2FileCheck.Kind.CLEAN);
        assertThat(H2FileCheck.inspect(Files.createFile(tmp.resolve("empty.mv.db"))).kind()).isEqualTo(H2FileCheck.Kind.CLEAN);
        fresh(null);
        Path file = fresh("other_");
        assertThat(H2FileCheck.inspect(file)).isEqualTo(new H2FileCheck.Finding(H2FileCheck.Kind.CLEAN, null));
    }

    @Test
    @DisplayName("anything the store never makes is foreign: a view, a sequence, an extra column, a check, another setting, a domain, a constant, a comment, an alias")
    void foreign() throws Exception {
        Path file = fresh(null);
        for (String sql : new String[] {
            "CREATE VIEW V AS SELECT 1 X",
            "CREATE SEQUENCE S",
            "ALTER TABLE tokenkeeper_leases ADD COLUMN extra INT",
            "ALTER TABLE tokenkeeper_leases ADD CONSTRAINT C CHECK (lease_until > 0)",
            "SET DEFAULT_LOCK_TIMEOUT 1234",
            "CREATE DOMAIN D AS INT",
            "CREATE CONSTANT C VALUE 1",
            "COMMENT ON TABLE tokenkeeper_leases IS 'x'",
            "CREATE ALIAS A FOR 'java.lang.Math.abs(int)'",
            "CREATE TABLE tokenkeeper_tokens2(store_key VARCHAR(128))"}) {
            try (LocalStore s = LocalStore.open(tmp, InstantSource.system(), null)) {
                assertThat(s.inMemoryOnly()).isFalse();
            }
            run(sql);
            assertThat(H2FileCheck.inspect(file).kind()).as(sql).isEqualTo(H2FileCheck.Kind.FOREIGN);
            Files.delete(file);
        }
    }

    @Test
    @DisplayName("a file that is not H2's is unreadable; a file another holder has locked is in use")
    void unreadableAndInUse() throws Exception {
        Path garbage = Files.write(tmp.resolve("garbage.mv.db"), "H:2,block:2,blockSize:1000,chunk:1,not really".getBytes());
        assertThat(H2FileCheck.inspect(garbage).kind()).isEqualTo(H2FileCheck.Kind.UNREADABLE);
        Path file = fresh(null);
        try (LocalStore s = LocalStore.open(tmp, InstantSource.system(), null)) {
            assertThat(H2FileCheck.inspect(file).kind()).isEqualTo(H2FileCheck.Kind.IN_USE);
        }
    }

    @Test
    @DisplayName("jdbc:h2 URLs: the local file is found; memory and remote databases have none; other forms are refused")
    void urls() {
        assertThat(H2FileCheck.databaseFile("jdbc:h2:file:/x/tokens;FILE_LOCK=FS")).contains(Path.of("/x/tokens.mv.db"));
        assertThat(H2FileCheck.databaseFile("jdbc:h2:/x/tokens")).contains(Path.of("/x/tokens.mv.db"));
        assertThat(H2FileCheck.databaseFile("jdbc:h2:nio:/x/tokens")).contains(Path.of("/x/tokens.mv.db"));
        assertThat(H2FileCheck.databaseFile("jdbc:h2:~/t")).contains(Path.of(System.getProperty("user.home"), "t.mv.db"));
        assertThat(H2FileCheck.databaseFile("jdbc:h2:mem:x;DB_CLOSE_DELAY=-1")).isEmpty();
        assertThat(H2FileCheck.databaseFile("jdbc:h2:tcp://localhost/~/x")).isEmpty();
        assertThatThrownBy(() -> H2FileCheck.databaseFile("jdbc:h2:zip:/x.zip!/tokens")).isInstanceOf(ConfigurationException.class);
    }
}
