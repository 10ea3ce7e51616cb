package dev.tokenkeeper.runnable.localstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.adapter.store.jdbc.JdbiTokenStore;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.DriverManager;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalStoreTest {

    @TempDir
    Path tmp;

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Nested
    @DisplayName("Where the directory is")
    class Directory {
        @Test
        @DisplayName("store.path first (with ~/), then TOKENKEEPER_HOME, then XDG_CONFIG_HOME, then ~/.config")
        void order() {
            Map<String, String> env = Map.of("HOME", "/home/u", "TOKENKEEPER_HOME", "/tk", "XDG_CONFIG_HOME", "/xdg");
            assertThat(LocalStore.directory("~/tokens", env)).isEqualTo(Path.of("/home/u/tokens"));
            assertThat(LocalStore.directory(null, env)).isEqualTo(Path.of("/tk"));
            assertThat(LocalStore.directory(null, Map.of("HOME", "/home/u", "XDG_CONFIG_HOME", "/xdg")))
                    .isEqualTo(Path.of("/xdg/tokenkeeper"));
            assertThat(LocalStore.directory(null, Map.of("HOME", "/home/u", "XDG_CONFIG_HOME", "relative")))
                    .as("a relative XDG_CONFIG_HOME is ignored, as the XDG spec says").isEqualTo(Path.of("/home/u/.config/tokenkeeper"));
        }
    }

    @Nested
    @DisplayName("Permissions")
    class Permissions {
        @Test
        @DisplayName("a new store: directory 0700, database 0600, key file 0600, and only those two files")
        void fresh() throws IOException {
            Path dir = tmp.resolve("a/b/tokenkeeper");
            SealingKeys keys = LocalStore.sealingKeys(dir);
            try (LocalStore s = LocalStore.open(dir, InstantSource.system(), null)) {
                assertThat(s.inMemoryOnly()).isFalse();
                assertThat(s.store()).isInstanceOf(JdbiTokenStore.class);
                s.store().save(new StoreKey("k"), new SealedToken(new byte[] {1, 2, 3}, Instant.now().plusSeconds(60)));
            }
            assertThat(mode(dir)).isEqualTo("rwx------");
            assertThat(mode(dir.resolve(LocalStore.DATABASE_FILE))).isEqualTo("rw-------");
            assertThat(mode(dir.resolve(LocalStore.KEY_FILE))).isEqualTo("rw-------");
            try (var files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString()))
                        .containsExactlyInAnyOrder(LocalStore.DATABASE_FILE, LocalStore.KEY_FILE);
            }
            assertThat(keys.ids()).containsExactly(LocalStore.KEY_ID);
        }

        @Test
        @DisplayName("the key file is made once and read after that")
        void keyFileReused() throws IOException {
            Path dir = tmp.resolve("tk");
            LocalStore.sealingKeys(dir);
            String spec = Files.readString(dir.resolve(LocalStore.KEY_FILE));
            LocalStore.sealingKeys(dir);
            assertThat(Files.readString(dir.resolve(LocalStore.KEY_FILE))).isEqualTo(spec);
        }

        @Test
        @DisplayName("a key file other users can read is refused, naming the file and the fix, never showing the key")
        void looseKeyFileRefused() throws IOException {
            Path dir = tmp.resolve("tk");
            LocalStore.sealingKeys(dir);
            Path key = dir.resolve(LocalStore.KEY_FILE);
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
            String spec = Files.readString(key).strip();
            assertThatThrownBy(() -> LocalStore.sealingKeys(dir))
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining(key.toString())
                    .hasMessageContaining("chmod 600")
                    .hasMessageNotContaining(spec.substring(spec.indexOf(':') + 1));
        }

        @Test
        @DisplayName("a directory or database file left open to others is narrowed to 0700 / 0600")
        void narrowed() throws IOException {
            Path dir = tmp.resolve("tk");
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path db = Files.createFile(dir.resolve(LocalStore.DATABASE_FILE));
            Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("rw-rw-r--"));
            try (LocalStore s = LocalStore.open(dir, InstantSource.system(), null)) {
                assertThat(s.inMemoryOnly()).isFalse();
            }
            assertThat(mode(dir)).isEqualTo("rwx------");
            assertThat(mode(db)).isEqualTo("rw-------");
        }
    }

    @Nested
    @DisplayName("Schema")
    class Schema {
        @Test
        @DisplayName("tables of the prefix that tokenkeeper did not make are refused, not altered")
        void unknownTablesRefused() throws Exception {
            Path dir = tmp.resolve("tk");
            try (LocalStore s = LocalStore.open(dir, InstantSource.system(), null)) {
                // create the file, then put a foreign table under another prefix
            }
            try (var c = DriverManager.getConnection(LocalStore.jdbcUrl(dir), LocalStore.user(), "")) {
                c.createStatement().execute("CREATE TABLE mine_tokens (x INT)");
            }
            assertThatThrownBy(() -> LocalStore.open(dir, InstantSource.system(), "mine_"))
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("MINE_TOKENS") // the file check finds it before the schema check would
                    .hasMessageContaining("never creates");
            try (var c = DriverManager.getConnection(LocalStore.jdbcUrl(dir), LocalStore.user(), "");
                    var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM mine_tokens")) {
                assertThat(rs.next()).isTrue(); // still there, unchanged
            }
        }
    }
}
