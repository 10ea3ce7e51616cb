package dev.tokenkeeper.runnable.localstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.runnable.cli.CapturedCli;
import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A token file that carries code: H2 runs a trigger's Java source (or instantiates a trigger class)
 * when it opens a database, and a function alias whenever a statement calls it (here through a
 * column default that a save evaluates). {@code token}, {@code copy --from file:DIR},
 * {@code copy --from jdbc:h2:file:…} and {@code schema check --store file:…}, run as the CLI runs
 * them, must refuse such a file with exit 3 and a message naming it, and the code must never run:
 * its marker file must never appear.
 */
class HostileStoreFileIT {

    @TempDir
    Path tmp;

    Path home;
    Path marker;

    @RegisterExtension
    final CapturedCli cli = CapturedCli.withIdp();

    @BeforeEach
    void setUp() {
        home = tmp.resolve("home");
        marker = tmp.resolve("marker-" + UUID.randomUUID());
        cli.client("orders", cli.idp().tokenUri(), "orders-client", "secret-" + UUID.randomUUID())
                .set("TOKENKEEPER_HOME", home.toString());
    }

    @AfterEach
    void tearDown() {
        MarkerTrigger.marker = null;
    }

    /** Java source that leaves the marker when it runs; H2 compiles it. */
    static String writeMarker(Path marker) {
        return "java.nio.file.Files.writeString(java.nio.file.Path.of(\"" + marker + "\"), \"ran\");";
    }

    static final Hostile SOURCE_TRIGGER = m -> List.of(
            "CREATE TRIGGER EVIL BEFORE SELECT ON tokenkeeper_tokens AS 'org.h2.api.Trigger create() throws Exception { "
                    + writeMarker(m) + " return new org.h2.api.Trigger() { public void fire(java.sql.Connection c, "
                    + "Object[] o, Object[] n) {} }; }'");

    static Stream<Arguments> hostileObjects() {
        return Stream.of(
                Arguments.of("a trigger in Java source (H2 compiles and runs it on open)", SOURCE_TRIGGER),
                Arguments.of("a trigger naming a class (H2 instantiates it on open)", (Hostile) m -> List.of(
                        "CREATE TRIGGER EVIL BEFORE INSERT ON tokenkeeper_tokens CALL \"" + MarkerTrigger.class.getName() + "\"")),
                Arguments.of("a function alias in Java source, called by a column default on save", (Hostile) m -> List.of(
                        "CREATE ALIAS EVIL AS 'String evil() throws Exception { " + writeMarker(m) + " return \"x\"; }'",
                        "ALTER TABLE tokenkeeper_tokens ADD COLUMN mark VARCHAR DEFAULT EVIL()")));
    }

    /** Statements that make a store file hostile, given the marker path. */
    interface Hostile {
        List<String> statements(Path marker);
    }

    /**
     * A real H2 store file (a directory an earlier version made, filled by {@code token}), then the
     * hostile statements run into it. New directories hold a sealed file, which runs nothing; an
     * existing H2 one is still opened, so it is still checked.
     */
    void poison(Hostile hostile) throws Exception {
        TokenDirectoryOwnershipIT.h2Home(home);
        assertThat(cli.run("token")).as(cli.err()).isZero();
        try (Connection c = DriverManager.getConnection(LocalStore.jdbcUrl(home), LocalStore.user(), "");
                Statement s = c.createStatement()) {
            s.execute("DELETE FROM tokenkeeper_tokens"); // the next token is saved, which a column default sees
            for (String sql : hostile.statements(marker)) {
                s.execute(sql);
            }
        }
        Files.deleteIfExists(marker); // making a source trigger runs it once, here, in the test
        MarkerTrigger.marker = marker;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileObjects")
    @DisplayName("token, copy --from file:, copy --from jdbc:h2:file: and schema check refuse the file; nothing in it runs")
    void refused(String what, Hostile hostile) throws Exception {
        poison(hostile);
        Path file = home.resolve(LocalStore.DATABASE_FILE);
        int requests = cli.idp().requestCount();

        assertThat(cli.run("token")).as(cli.err()).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(cli.err()).contains(file.toString()).contains("never creates").doesNotContain("\tat ");
        assertThat(marker).as("the file's code never ran (token)").doesNotExist();
        assertThat(cli.idp().requestCount()).as("refused before any token request").isEqualTo(requests);

        assertThat(cli.run("copy", "--from", "file:" + home, "--to", "memory:")).as(cli.err()).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(cli.err()).contains(file.toString()).contains("never creates");
        assertThat(marker).as("the file's code never ran (copy --from file:)").doesNotExist();

        assertThat(cli.run("schema", "check", "--store", "file:" + home)).as(cli.err()).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(cli.err()).contains(file.toString()).contains("never creates");
        assertThat(marker).as("the file's code never ran (schema check)").doesNotExist();

        assertThat(cli.run("copy", "--from", "jdbc:h2:file:" + home.resolve(LocalStore.DATABASE_NAME), "--to", "memory:"))
                .as(cli.err()).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(cli.err()).contains(file.toString()).contains("never creates");
        assertThat(marker).as("the file's code never ran (copy --from jdbc:h2:file:)").doesNotExist();
    }

    @Test
    @DisplayName("the refusal names what was found, not the code it carries")
    void namesTheObject() throws Exception {
        poison(SOURCE_TRIGGER);
        assertThat(cli.run("token")).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(cli.err()).contains("a trigger \"EVIL\"").doesNotContain("writeString");
        assertThat(marker).doesNotExist();
    }
}
