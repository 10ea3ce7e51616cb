package dev.tokenkeeper.runnable.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.bootstrap.SinkConfig;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.Secret;
import io.vertx.core.json.JsonObject;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13: one sink file on a real file system: formats, modes, group, links and directories refused, no leftovers. */
class SinkFileTest {

    private static final String VALUE = "sink-file-test-token-" + System.nanoTime();
    private static final Instant EXPIRES = Instant.parse("2030-01-01T00:10:00Z");
    private static final AccessToken TOKEN = new AccessToken(Secret.of(VALUE), "Bearer", Instant.parse("2030-01-01T00:00:00Z"),
            EXPIRES, Set.of(), null);

    private static SinkConfig sink(Path path, SinkConfig.Format format, String mode, String group) {
        return new SinkConfig("s", "orders", path, format, "ORDERS_TOKEN", PosixFilePermissions.fromString(mode), group,
                SinkConfig.OnShutdown.DELETE);
    }

    @Test
    @DisplayName("raw, json and env parse back to the token and its expiry")
    void formats(@TempDir Path dir) throws Exception {
        Path raw = dir.resolve("raw");
        new SinkFile(sink(raw, SinkConfig.Format.RAW, "rw-------", null)).write(TOKEN);
        assertThat(Files.readString(raw)).isEqualTo(VALUE + "\n");

        Path json = dir.resolve("json");
        new SinkFile(sink(json, SinkConfig.Format.JSON, "rw-------", null)).write(TOKEN);
        JsonObject doc = new JsonObject(Files.readString(json));
        assertThat(doc.fieldNames()).containsExactlyInAnyOrder("access_token", "token_type", "expires_at");
        assertThat(doc.getString("access_token")).isEqualTo(VALUE);
        assertThat(doc.getString("token_type")).isEqualTo("Bearer");
        assertThat(Instant.parse(doc.getString("expires_at"))).isEqualTo(EXPIRES);

        Path env = dir.resolve("env");
        new SinkFile(sink(env, SinkConfig.Format.ENV, "rw-------", null)).write(TOKEN);
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(env)));
        assertThat(p).containsOnlyKeys("ORDERS_TOKEN", "ORDERS_TOKEN_EXPIRES_AT");
        assertThat(p.getProperty("ORDERS_TOKEN")).isEqualTo(VALUE);
        assertThat(Instant.parse(p.getProperty("ORDERS_TOKEN_EXPIRES_AT"))).isEqualTo(EXPIRES);
        // what a shell makes of it: `. file` sets the variable
        Process sh = new ProcessBuilder("sh", "-c", ". \"$1\" && test \"$ORDERS_TOKEN\" = \"$2\"", "sh", env.toString(), VALUE).start();
        assertThat(sh.waitFor()).as("sh sources the env file").isZero();
        assertThat(leftovers(dir)).isEmpty();
    }

    @Test
    @DisplayName("the mode is exactly the configured one whatever the umask, and replacing keeps it; the group is set")
    void modesAndGroup(@TempDir Path dir) throws Exception {
        Path owner = dir.resolve("owner");
        new SinkFile(sink(owner, SinkConfig.Format.RAW, "rw-------", null)).write(TOKEN);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(owner))).isEqualTo("rw-------");

        String myGroup = Files.readAttributes(dir, PosixFileAttributes.class).group().getName();
        Path shared = dir.resolve("shared");
        Files.writeString(shared, "an older file, wide open");
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rw-rw-rw-"));
        new SinkFile(sink(shared, SinkConfig.Format.RAW, "rw-r-----", myGroup)).write(TOKEN);
        PosixFileAttributes a = Files.readAttributes(shared, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        assertThat(PosixFilePermissions.toString(a.permissions())).isEqualTo("rw-r-----");
        assertThat(a.group().getName()).isEqualTo(myGroup);
        assertThat(Files.readString(shared)).isEqualTo(VALUE + "\n");
    }

    @Test
    @DisplayName("a target that is a symbolic link or a directory is refused: nothing is written through it or replaces it")
    void linksAndDirectoriesRefused(@TempDir Path dir) throws Exception {
        Path victim = Files.writeString(dir.resolve("victim"), "keep me");
        Path link = Files.createSymbolicLink(dir.resolve("link"), victim);
        assertThatThrownBy(() -> new SinkFile(sink(link, SinkConfig.Format.RAW, "rw-------", null)).write(TOKEN))
                .isInstanceOf(SinkFile.SinkException.class)
                .hasMessageContaining("is a symbolic link")
                .hasMessageNotContaining(VALUE);
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readString(victim)).isEqualTo("keep me");

        Path directory = Files.createDirectory(dir.resolve("adir"));
        assertThatThrownBy(() -> new SinkFile(sink(directory, SinkConfig.Format.RAW, "rw-------", null)).write(TOKEN))
                .isInstanceOf(SinkFile.SinkException.class)
                .hasMessageContaining("is a directory");
        assertThat(Files.isDirectory(directory)).isTrue();
        assertThat(leftovers(dir)).isEmpty();

        // delete() leaves a link alone too
        new SinkFile(sink(link, SinkConfig.Format.RAW, "rw-------", null)).delete();
        assertThat(Files.isSymbolicLink(link)).isTrue();
    }

    @Test
    @DisplayName("leftover temporary files of a killed writer are removed, and only those")
    void leftoversRemoved(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("orders.json");
        Files.writeString(dir.resolve(".orders.json.tk-0123456789abcdef.tmp"), "half");
        Path other = Files.writeString(dir.resolve(".other.tk-0123456789abcdef.tmp"), "not ours");
        SinkFile f = new SinkFile(sink(target, SinkConfig.Format.JSON, "rw-------", null));
        assertThat(f.removeLeftovers()).isEqualTo(1);
        assertThat(leftovers(dir)).containsExactly(other);
    }

    static java.util.List<Path> leftovers(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }
}
