package dev.tokenkeeper.runnable.localstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.runnable.cli.CapturedCli;
import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token directory, its database and its key file must be the user's own and never reached
 * through a symbolic link: {@code token} refuses otherwise with exit 3 and a message naming the
 * path and the reason, and nothing outside the directory is created or has its mode changed.
 * A foreign owner is made by chown'ing to {@code nobody}, which needs root (as CI runs).
 */
class TokenDirectoryOwnershipIT {

    @TempDir
    Path tmp;

    Path home;

    @RegisterExtension
    final CapturedCli cli = CapturedCli.withIdp();

    @BeforeEach
    void setUp() {
        home = tmp.resolve("home");
        cli.client("orders", cli.idp().tokenUri(), "orders-client", "secret-" + UUID.randomUUID())
                .set("TOKENKEEPER_HOME", home.toString());
    }

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    /** A working home: one token fetched and stored. */
    void filledHome() {
        assertThat(cli.run("token")).as(cli.err()).isZero();
    }

    /** A working home that an earlier version made: an H2 database (kept in use), one token stored in it. */
    void filledH2Home() {
        h2Home(home);
        filledHome();
        assertThat(home.resolve(SealedFileStore.FILE_NAME)).as("an H2 directory stays H2").doesNotExist();
    }

    /** Makes {@code dir} an H2 token directory, as versions before the sealed file did. */
    static void h2Home(Path dir) {
        LocalStore.open(dir, java.time.InstantSource.system(), null).close();
    }

    void refused(Path path, String why) {
        int requests = cli.idp().requestCount();
        assertThat(cli.run("token")).as(cli.err()).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(cli.err()).contains(path + " " + why).doesNotContain("\tat ");
        assertThat(cli.idp().requestCount()).as("refused before any token request").isEqualTo(requests);
    }

    /** A working home in which {@code path} then belongs to another user ({@code nobody}); skipped unless root. */
    void filledHomeWithForeign(Path path) throws IOException {
        UserPrincipal nobody = nobody();
        filledHome();
        Files.setOwner(path, nobody);
    }

    static UserPrincipal nobody() throws IOException {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "giving a file to another user needs root");
        return tmp().getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    }

    private static Path tmp() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    @Test
    @DisplayName("a symbolic link as the token directory is refused; its target keeps its mode")
    void linkedDirectory() throws IOException {
        Path real = Files.createDirectory(tmp.resolve("real"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.createSymbolicLink(home, real);
        refused(home, "is a symbolic link");
        assertThat(mode(real)).as("not chmod'ed through the link").isEqualTo("rwxr-xr-x");
        try (var files = Files.list(real)) {
            assertThat(files).as("nothing created through the link").isEmpty();
        }
    }

    @Test
    @DisplayName("a symbolic link as sealing.key is refused; its target is neither read into use nor chmod'ed")
    void linkedKeyFile() throws IOException {
        filledHome();
        Path key = home.resolve(LocalStore.KEY_FILE);
        Path elsewhere = Files.writeString(tmp.resolve("their.key"), Files.readString(key));
        Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rw-r--r--"));
        Files.delete(key);
        Files.createSymbolicLink(key, elsewhere);
        refused(key, "is a symbolic link");
        assertThat(mode(elsewhere)).isEqualTo("rw-r--r--");
    }

    @Test
    @DisplayName("a symbolic link as the database is refused; its target keeps its mode")
    void linkedDatabase() throws IOException {
        filledH2Home();
        Path db = home.resolve(LocalStore.DATABASE_FILE);
        Path elsewhere = tmp.resolve("elsewhere.mv.db");
        Files.move(db, elsewhere);
        Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rw-r--r--"));
        Files.createSymbolicLink(db, elsewhere);
        refused(db, "is a symbolic link");
        assertThat(mode(elsewhere)).as("not chmod'ed through the link").isEqualTo("rw-r--r--");
    }

    @Test
    @DisplayName("a dangling symbolic link as the database: refused, and no file is ever created at its target")
    void danglingDatabaseLink() throws IOException {
        Files.createDirectories(home);
        Path db = home.resolve(LocalStore.DATABASE_FILE);
        Path outside = tmp.resolve("outside/tokens.mv.db");
        Files.createDirectories(outside.getParent());
        Files.createSymbolicLink(db, outside);
        refused(db, "is a symbolic link");
        assertThat(outside).doesNotExist();
        assertThat(cli.run("copy", "--from", "memory:", "--to", "file:" + home)).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(cli.run("schema", "check", "--store", "file:" + home)).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(cli.err()).contains(db + " is a symbolic link");
        assertThat(outside).as("not created by copy or schema either").doesNotExist();
    }

    @Test
    @DisplayName("any other symbolic link in the directory is refused too")
    void otherLink() throws IOException {
        filledHome();
        Path link = Files.createSymbolicLink(home.resolve("notes"), tmp);
        refused(link, "is a symbolic link");
    }

    @Test
    @DisplayName("a token directory that belongs to another user is refused, and its mode is left alone")
    void foreignDirectory() throws IOException {
        filledHomeWithForeign(home);
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxrwxrwx"));
        refused(home, "belongs to another user");
        assertThat(mode(home)).isEqualTo("rwxrwxrwx");
    }

    @Test
    @DisplayName("a sealing.key that belongs to another user is refused")
    void foreignKeyFile() throws IOException {
        Path key = home.resolve(LocalStore.KEY_FILE);
        filledHomeWithForeign(key);
        refused(key, "belongs to another user");
    }

    @Test
    @DisplayName("a database that belongs to another user is refused (it could hold anything)")
    void foreignDatabase() throws IOException {
        Path db = home.resolve(LocalStore.DATABASE_FILE);
        h2Home(home);
        filledHomeWithForeign(db);
        refused(db, "belongs to another user");
        assertThat(cli.run("copy", "--from", "file:" + home, "--to", "memory:")).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(cli.err()).contains(db + " belongs to another user");
    }

    @Test
    @DisplayName("a symbolic link as the sealed token file is refused; its target keeps its mode and content")
    void linkedSealedFile() throws IOException {
        filledHome();
        Path file = home.resolve(SealedFileStore.FILE_NAME);
        Path elsewhere = tmp.resolve("elsewhere.sealed");
        Files.move(file, elsewhere);
        Files.setPosixFilePermissions(elsewhere, PosixFilePermissions.fromString("rw-r--r--"));
        byte[] before = Files.readAllBytes(elsewhere);
        Files.createSymbolicLink(file, elsewhere);
        refused(file, "is a symbolic link");
        assertThat(mode(elsewhere)).as("not chmod'ed through the link").isEqualTo("rw-r--r--");
        assertThat(Files.readAllBytes(elsewhere)).as("not written through the link").isEqualTo(before);
    }

    @Test
    @DisplayName("a sealed token file that belongs to another user is refused")
    void foreignSealedFile() throws IOException {
        Path file = home.resolve(SealedFileStore.FILE_NAME);
        filledHomeWithForeign(file);
        refused(file, "belongs to another user");
    }

    @Test
    @DisplayName("the user's own directory and files still work, and a loose mode is still narrowed")
    void ownStillWorks() throws IOException {
        filledHome();
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        int requests = cli.idp().requestCount();
        assertThat(cli.run("token")).as(cli.err()).isZero();
        assertThat(cli.idp().requestCount()).as("the stored token is used").isEqualTo(requests);
        assertThat(mode(home)).isEqualTo("rwx------");
    }
}
