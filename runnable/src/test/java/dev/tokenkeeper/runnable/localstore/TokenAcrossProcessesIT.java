package dev.tokenkeeper.runnable.localstore;

import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.Await;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's default store across processes: each {@code tokenkeeper token} below is a JVM of its
 * own, as when a user runs the command twice; the token endpoint, in this JVM, counts requests.
 */
class TokenAcrossProcessesIT {

    @TempDir
    Path work;

    FakeIdp idp;
    final String registration = "reg-" + UUID.randomUUID().toString().substring(0, 8);
    final String clientId = "cid-" + UUID.randomUUID();
    final String secret = "secret-" + UUID.randomUUID();
    Path config;

    @BeforeEach
    void setUp() throws IOException {
        idp = FakeIdp.start().issueTokens(Duration.ofHours(1));
        config = work.resolve("tokenkeeper.properties");
        Files.writeString(config, String.join("\n",
                "clients." + registration + ".token-url=" + idp.tokenUri(),
                "clients." + registration + ".client-id=" + clientId,
                "clients." + registration + ".client-secret-env=TK_IT_SECRET",
                "clients." + registration + ".scope=orders.read"), StandardCharsets.UTF_8);
    }

    @AfterEach
    void tearDown() {
        idp.close();
    }

    Map<String, String> env(Path home) {
        return Map.of("TK_IT_SECRET", secret, "TOKENKEEPER_HOME", home.toString());
    }

    CliProcess.Result token(Path home) {
        CliProcess.Result r = CliProcess.run(work, env(home), "--config", config.toString(), "token");
        assertThat(r.stdout() + r.stderr()).as("nothing printed contains the client secret").doesNotContain(secret);
        return r;
    }

    @Test
    @DisplayName("two processes in a row make one token request; the files are 0700/0600; a raw dump shows no token, client id or name")
    void twoProcessesOneRequest() throws IOException {
        Path home = work.resolve("home");

        CliProcess.Result first = token(home);
        CliProcess.Result second = token(home);

        assertThat(first.exit()).as(first.toString()).isZero();
        assertThat(second.exit()).as(second.toString()).isZero();
        String issued = idp.issuedTokens().get(0);
        assertThat(first.stdout().strip()).isEqualTo(issued);
        assertThat(second.stdout().strip()).as("the second process reuses the sealed token").isEqualTo(issued);
        assertThat(idp.requestCount()).as("token requests at the endpoint after two processes").isEqualTo(1);

        // owner-only: the directory 0700, every file in it 0600, and nothing but the token file, its lock and the key
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home))).isEqualTo("rwx------");
        try (var files = Files.list(home)) {
            List<Path> all = files.toList();
            assertThat(all).extracting(p -> p.getFileName().toString())
                    .containsExactlyInAnyOrder(SealedFileStore.FILE_NAME, SealedFileStore.LOCK_NAME, LocalStore.KEY_FILE);
            for (Path f : all) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString()).isEqualTo("rw-------");
            }
        }

        // what someone holding the token file sees: no secret, in clear or encoded
        String files = RawDump.files(home);
        String dbOnly = new String(Files.readAllBytes(home.resolve(SealedFileStore.FILE_NAME)), StandardCharsets.ISO_8859_1);
        String rows = RawDump.selectEverything(home);
        assertThat(rows).as("the token entry is there").contains("tokens: ");
        for (String needle : List.of(issued, clientId, registration, secret)) {
            RawDump.encodings(needle).forEach((how, form) -> {
                assertThat(rows).as("SELECT * shows " + how + " of a secret value").doesNotContain(form);
                assertThat(dbOnly).as("the token file holds " + how + " of a secret value").doesNotContain(form);
            });
        }
        assertThat(files).doesNotContain(issued);
    }

    @Test
    @DisplayName("two processes at once make one token request: the second waits for the file, then finds the token")
    void twoConcurrentProcessesOneRequest() {
        Path home = work.resolve("home");
        idp.respondWith(Response.tokens(Duration.ofHours(1)).withDelay(Duration.ofSeconds(3)));

        Process a = CliProcess.start(work, env(home), "--config", config.toString(), "token");
        Await.until("the first process reaches the endpoint", Duration.ofSeconds(60), () -> idp.requestCount() > 0);
        assertThat(idp.requestCount()).as("the first process reached the endpoint").isEqualTo(1);
        Process b = CliProcess.start(work, env(home), "--config", config.toString(), "token");

        CliProcess.Result ra = CliProcess.await(a);
        CliProcess.Result rb = CliProcess.await(b);
        assertThat(ra.exit()).as(ra.toString()).isZero();
        assertThat(rb.exit()).as(rb.toString()).isZero();
        assertThat(rb.stdout()).isEqualTo(ra.stdout());
        assertThat(idp.requestCount()).isEqualTo(1);
    }

    @Test
    @DisplayName("a garbage row is a miss: one new request, a WARN line, the row replaced; the next run reuses the new token")
    void garbageRowIsReplaced() {
        Path home = work.resolve("home");
        assertThat(token(home).exit()).isZero();
        byte[] garbage = new byte[96];
        new SecureRandom().nextBytes(garbage);
        RawDump.setSealed(home, garbage);

        CliProcess.Result afterGarbage = token(home);

        assertThat(afterGarbage.exit()).as(afterGarbage.toString()).isZero();
        assertThat(idp.requestCount()).as("one new request for the unreadable row").isEqualTo(2);
        assertThat(afterGarbage.stdout().strip()).isEqualTo(idp.issuedTokens().get(1));
        assertThat(afterGarbage.stderr()).contains("WARN").contains("unreadable store entry for client=" + registration);
        assertThat(RawDump.sealed(home)).as("the row was replaced").isNotEqualTo(garbage);

        CliProcess.Result next = token(home);
        assertThat(next.stdout().strip()).isEqualTo(idp.issuedTokens().get(1));
        assertThat(next.stderr()).doesNotContain("unreadable");
        assertThat(idp.requestCount()).isEqualTo(2);
    }

    @Test
    @DisplayName("a foreign row (sealed on another machine, with another key) is a miss, logged, and replaced")
    void foreignRowIsReplaced() {
        Path mine = work.resolve("mine");
        Path theirs = work.resolve("theirs");
        assertThat(token(mine).exit()).isZero();
        assertThat(token(theirs).exit()).isZero();
        byte[] foreign = RawDump.sealed(theirs);
        RawDump.setSealed(mine, foreign); // same registration, so the same store key: only the key differs

        CliProcess.Result r = token(mine);

        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(idp.requestCount()).isEqualTo(3);
        assertThat(r.stdout().strip()).isEqualTo(idp.issuedTokens().get(2));
        assertThat(r.stderr()).contains("WARN").contains("unreadable store entry for client=" + registration);
        assertThat(RawDump.sealed(mine)).isNotEqualTo(foreign);
        assertThat(token(mine).stdout().strip()).isEqualTo(idp.issuedTokens().get(2));
        assertThat(idp.requestCount()).isEqualTo(3);
    }

}
