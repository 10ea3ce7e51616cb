package dev.tokenkeeper.runnable.localstore;

import dev.tokenkeeper.bootstrap.persistence.StoreConfig;
import dev.tokenkeeper.bootstrap.persistence.Stores;
import dev.tokenkeeper.runnable.cli.StoreOption;
import java.time.InstantSource;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.runnable.cli.CapturedCli;
import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.testsupport.RequiredServers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tokenkeeper copy} and {@code tokenkeeper schema}, in this JVM: tokens go from the local
 * file through H2, PostgreSQL and Redis back to another local file, sealed bytes unchanged, and the
 * last file serves the token without a new request once it has the same key.
 */
class CopyIT {

    @TempDir
    Path tmp;

    final String secret = "secret-" + UUID.randomUUID();
    Path homeA;

    @RegisterExtension
    final CapturedCli cli = CapturedCli.withIdp();

    @BeforeEach
    void setUp() {
        homeA = tmp.resolve("a");
        cli.client("orders", cli.idp().tokenUri(), "orders-client", secret)
                .client("billing", cli.idp().tokenUri(), "billing-client", secret)
                .set("TOKENKEEPER_HOME", homeA.toString());
    }

    /** Two tokens in the local file of home A. */
    Map<String, String> fillHomeA() {
        assertThat(cli.run("token", "--client", "orders")).as(cli.err()).isZero();
        String orders = cli.out().strip();
        assertThat(cli.run("token", "--client", "billing")).as(cli.err()).isZero();
        String billing = cli.out().strip();
        assertThat(cli.idp().requestCount()).isEqualTo(2);
        return Map.of("orders", orders, "billing", billing);
    }

    static Map<StoreKey, SealedToken> entries(StoreConfig spec) {
        Map<StoreKey, SealedToken> m = new TreeMap<>((a, b) -> a.value().compareTo(b.value()));
        try (Stores.Opened o = Stores.open(spec, Stores.Use.SOURCE, InstantSource.system())) {
            o.store().forEach(m::put);
        }
        return m;
    }

    /** Home B gets A's key (the copy needs none, the reader does), then serves A's tokens with no request. */
    void homeBServes(Path homeB, Map<String, String> tokens) throws IOException {
        Files.copy(homeA.resolve(LocalStore.KEY_FILE), homeB.resolve(LocalStore.KEY_FILE), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.COPY_ATTRIBUTES);
        cli.set("TOKENKEEPER_HOME", homeB.toString());
        int before = cli.idp().requestCount();
        for (Map.Entry<String, String> t : tokens.entrySet()) {
            assertThat(cli.run("token", "--client", t.getKey())).as(cli.err()).isZero();
            assertThat(cli.out().strip()).isEqualTo(t.getValue());
        }
        assertThat(cli.idp().requestCount()).as("no request: the copied entries are read").isEqualTo(before);
    }

    @Test
    @DisplayName("file -> H2 (tables applied on demand) -> memory and -> file: every entry, bytes unchanged, no key needed")
    void fileToH2ToFile() throws IOException {
        Map<String, String> tokens = fillHomeA();
        String h2 = "jdbc:h2:file:" + tmp.resolve("backup/tokens");
        Path homeB = tmp.resolve("b");

        assertThat(cli.run("copy", "--from", "file:", "--to", h2)).as("no tables yet, and none made unasked").isEqualTo(3);
        assertThat(cli.err()).contains("do not exist");
        assertThat(cli.run("copy", "--from", "file:", "--to", h2, "--apply-schema")).as(cli.err()).isZero();
        assertThat(cli.out()).contains("copied 2 entries from file:" + homeA + " to " + h2);
        assertThat(cli.run("copy", "--from", h2, "--to", "memory:")).as(cli.err()).isZero();
        assertThat(cli.out()).contains("copied 2 entries");
        assertThat(cli.run("copy", "--from", h2, "--to", "file:" + homeB)).as(cli.err()).isZero();
        assertThat(cli.out()).contains("copied 2 entries");

        Map<StoreKey, SealedToken> a = entries(StoreOption.parse("a", "file:" + homeA, null, null, null, cli.env()));
        assertThat(a).hasSize(2);
        assertThat(entries(StoreOption.parse("h2", h2, null, null, null, cli.env()))).isEqualTo(a);
        assertThat(entries(StoreOption.parse("b", "file:" + homeB, null, null, null, cli.env()))).as("the same sealed bytes and expiry").isEqualTo(a);
        homeBServes(homeB, tokens);
        assertThat(cli.printed()).as("everything printed").doesNotContain(secret);
    }

    @Test
    @DisplayName("file -> PostgreSQL -> Redis -> file: the tokens survive the trip and are served without a request")
    void throughPostgresAndRedis() throws IOException {
        RequiredServers.PostgresTarget pg = RequiredServers.postgres();
        String redis = RequiredServers.redis().toString();
        Map<String, String> tokens = fillHomeA();
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String postgres = pg.jdbcUrl() + (pg.jdbcUrl().contains("?") ? "&" : "?") + "user=" + pg.user() + "&password=" + pg.password();
        Path homeB = tmp.resolve("b");

        assertThat(cli.run("copy", "--from", "file:", "--to", postgres, "--to-prefix", "tk_copy_" + suffix + "_", "--apply-schema"))
                .as(cli.err()).isZero();
        assertThat(cli.out()).contains("copied 2 entries").doesNotContain(pg.password().isEmpty() ? "\u0000" : "password=" + pg.password());
        assertThat(cli.run("copy", "--from", postgres, "--from-prefix", "tk_copy_" + suffix + "_",
                "--to", redis, "--to-prefix", "tk-copy-" + suffix + ":")).as(cli.err()).isZero();
        assertThat(cli.out()).contains("copied 2 entries");
        assertThat(cli.run("copy", "--from", redis, "--from-prefix", "tk-copy-" + suffix + ":", "--to", "file:" + homeB))
                .as(cli.err()).isZero();
        assertThat(cli.out()).contains("copied 2 entries");

        Map<StoreKey, SealedToken> a = entries(StoreOption.parse("a", "file:" + homeA, null, null, null, cli.env()));
        assertThat(entries(StoreOption.parse("pg", postgres, "tk_copy_" + suffix + "_", null, null, cli.env()))).isEqualTo(a);
        assertThat(entries(StoreOption.parse("redis", redis, "tk-copy-" + suffix + ":", null, null, cli.env()))).isEqualTo(a);
        assertThat(entries(StoreOption.parse("b", "file:" + homeB, null, null, null, cli.env()))).isEqualTo(a);
        homeBServes(homeB, tokens);
    }

    @Test
    @DisplayName("exit codes: same store 2, no source file 3, unreachable target 4 with the count")
    void exitCodes() {
        assertThat(cli.run("copy", "--from", "file:", "--to", "file:" + homeA)).isEqualTo(TokenkeeperCli.USAGE);
        assertThat(cli.run("copy", "--from", "file:" + tmp.resolve("none"), "--to", "memory:")).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(cli.err()).contains("no token file");
        assertThat(cli.run("copy", "--from", "cassandra://x", "--to", "memory:")).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        fillHomeA();
        int port = RequiredServers.freePort();
        assertThat(cli.run("copy", "--from", "file:", "--to", "jdbc:postgresql://127.0.0.1:" + port + "/x?user=u&password=hunter2"))
                .isEqualTo(4);
        assertThat(cli.err()).contains("copy failed after 0 entries").doesNotContain("hunter2");
    }

    @Test
    @DisplayName("schema check fails on missing tables (3), apply makes them (0), check then passes; unknown tables are refused")
    void schemaCommands() throws Exception {
        String h2 = "jdbc:h2:file:" + tmp.resolve("db/tokens");
        assertThat(cli.run("schema", "check", "--store", h2)).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        assertThat(cli.err()).contains("do not exist");
        assertThat(cli.run("schema", "apply", "--store", h2)).as(cli.err()).isZero();
        assertThat(cli.out()).contains("schema version 1 in place");
        assertThat(cli.run("schema", "check", "--store", h2)).as(cli.err()).isZero();
        assertThat(cli.out()).contains("schema version 1 OK");
        try (var c = java.sql.DriverManager.getConnection(h2)) {
            c.createStatement().execute("CREATE TABLE theirs_tokens (x INT)");
        }
        assertThat(cli.run("schema", "apply", "--store", h2, "--prefix", "theirs_")).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
        // the H2 file check sees the foreign table before H2 opens the file (the schema check would refuse it too)
        assertThat(cli.err()).contains("\"THEIRS_TOKENS\"").contains("never creates");
        assertThat(cli.run("schema", "apply", "--store", "redis://127.0.0.1:6379")).isEqualTo(TokenkeeperCli.USAGE);
    }
}
