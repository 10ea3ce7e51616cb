package dev.tokenkeeper.runnable.localstore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.runnable.cli.CapturedCli;
import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.testsupport.RequiredServers;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Issue 16, item 4: a store password, in any URL form and holding {@code / @ : % # ?} and spaces,
 * never appears in anything the real command line prints (standard output, standard error, logs,
 * stack traces) for {@code token}, {@code serve}, {@code config check}, {@code copy} and
 * {@code schema}; and it can be given without the command line, from a variable or a file.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StorePasswordIT {

    /** Two unique halves around every special character: any partial echo still holds one of them. */
    final String head = "pwA" + UUID.randomUUID().toString().replace("-", "");
    final String tail = "pwZ" + UUID.randomUUID().toString().replace("-", "");
    final String password = head + "/@:%#? x/" + tail;
    final String clientSecret = "client-" + UUID.randomUUID();
    FakeIdp idp;

    @RegisterExtension
    final CapturedCli cli = new CapturedCli();

    @TempDir
    Path dir;

    @BeforeAll
    void startIdp() {
        idp = FakeIdp.start().issueTokens(Duration.ofMinutes(5));
    }

    @AfterAll
    void stopIdp() {
        idp.close();
    }

    @BeforeEach
    void environment() {
        cli.set("OAUTH_TOKEN_URL", idp.tokenUri().toString())
                .set("OAUTH_CLIENT_ID", "leak-client")
                .set("OAUTH_CLIENT_SECRET", clientSecret)
                .set("TOKENKEEPER_SEALING_KEYS", SealingKeys.generateSpec("k1"))
                .set("TOKENKEEPER__RESILIENCE__ATTEMPTS", "1")
                .set("TOKENKEEPER_HOME", dir.resolve("home").toString())
                // entries this test leaves in the shared Redis stay apart from everyone else's
                .set("TOKENKEEPER__STORE__PREFIX", "tk-pw-" + UUID.randomUUID().toString().substring(0, 8) + ":");
    }

    @AfterEach
    void scan() {
        String printed = cli.printed();
        for (String s : List.of(password, head, tail, URLEncoder.encode(password, StandardCharsets.UTF_8),
                URLEncoder.encode(password, StandardCharsets.UTF_8).replace("+", "%20"), clientSecret)) {
            assertThat(printed).as("everything printed").doesNotContain(s);
        }
    }

    /** Standard error only, for assertion messages: standard output may hold a token. */
    String errors() {
        return cli.err();
    }

    /** The URL forms a password can take: raw user info, percent-encoded user info, with a user. */
    List<String> redisUrls(String hostPort) {
        String encoded = URLEncoder.encode(password, StandardCharsets.UTF_8).replace("+", "%20");
        return List.of("redis://:" + password + "@" + hostPort, "redis://:" + encoded + "@" + hostPort,
                "redis://default:" + password + "@" + hostPort + "/0");
    }

    @Test
    @DisplayName("token with a redis:// URL whose password holds special characters: a token, no stack trace, no password")
    void token() {
        for (String url : redisUrls("127.0.0.1:6379")) {
            cli.set("TOKENKEEPER_STORE", "redis");
            cli.set("TOKENKEEPER_STORE_URL", url);
            int code = cli.run("token");
            assertThat(code).as(errors()).isEqualTo(TokenkeeperCli.OK);
            assertThat(cli.printed()).doesNotContain("URISyntaxException").doesNotContain("IllegalArgumentException");
        }
    }

    @Test
    @DisplayName("serve with such a URL starts (the store degrades) and shows no password")
    void serve() throws Exception {
        cli.set("TOKENKEEPER_STORE", "redis");
        cli.set("TOKENKEEPER_STORE_URL", redisUrls("127.0.0.1:6379").get(0));
        cli.set("TOKENKEEPER__SIDECAR__PORT", "0");
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread serve = new Thread(() -> exit.complete(cli.run("serve")), "serve-under-test");
        serve.start();
        Await.until("serve started or ended", Duration.ofSeconds(20), () -> cli.printed().contains("sidecar listening") || exit.isDone());
        serve.interrupt();
        assertThat(exit.get(30, TimeUnit.SECONDS)).as(errors()).isEqualTo(TokenkeeperCli.OK);
        assertThat(cli.printed()).contains("sidecar listening").doesNotContain("Exception");
    }

    @Test
    @DisplayName("config check shows the store URL without a password holding '/', for every URL form")
    void configCheck() {
        List<String> urls = new ArrayList<>(redisUrls("redis.example.com:6379"));
        for (String url : urls) {
            cli.set("TOKENKEEPER_STORE", "redis");
            cli.set("TOKENKEEPER_STORE_URL", url);
            assertThat(cli.run("config", "check")).as(errors()).isZero();
            assertThat(cli.out()).contains("redis://redis.example.com:6379", "with a password");
        }
        for (String url : List.of("jdbc:postgresql://db.example.com/tokens?user=tk&password=" + password.replace("&", ""),
                "jdbc:postgresql://tk:" + password + "@db.example.com/tokens",
                "jdbc:h2:mem:tokens;PASSWORD=" + password.replace(";", ""))) {
            cli.set("TOKENKEEPER_STORE", "jdbc");
            cli.set("TOKENKEEPER_STORE_URL", url);
            assertThat(cli.run("config", "check")).as(errors()).isZero();
        }
    }

    @Test
    @DisplayName("copy and schema with a jdbc URL holding the password (user info, ?password=, ;password=): no password "
            + "in any message, an unknown host included")
    void copyAndSchema() {
        String prefix = "tk_pw_" + UUID.randomUUID().toString().substring(0, 8) + "_";
        List<String> stores = List.of(
                "jdbc:postgresql://leak:" + password + "@no-such-host.invalid/test",
                "jdbc:postgresql://leak:" + password + "@127.0.0.1:5432/test",
                "jdbc:postgresql://127.0.0.1:5432/test?user=postgres&password=" + password,
                "jdbc:h2:mem:leak;PASSWORD=" + password.replace(";", ""),
                redisUrls("127.0.0.1:6379").get(0));
        RequiredServers.postgres();
        for (String store : stores) {
            int copy = cli.run("copy", "--from", "memory:", "--to", store, "--to-prefix", prefix);
            assertThat(copy).as(store.replace(password, "***") + "\n" + errors()).isIn(0, 3, 4);
            if (store.startsWith("jdbc:")) {
                int schema = cli.run("schema", "check", "--store", store, "--prefix", prefix);
                assertThat(schema).as(errors()).isIn(3, 4);
            }
        }
        assertThat(cli.printed()).contains("no-such-host.invalid").contains("visible to other users in the process list");
    }

    @Test
    @DisplayName("a store password from a file or a variable reaches Redis; none is needed on the command line")
    void passwordWithoutTheCommandLine() throws Exception {
        try (RequiredServers.LocalRedis redis = RequiredServers.LocalRedis.startPrivate()) {
            org.junit.jupiter.api.Assumptions.assumeTrue(redis != null, "no redis-server binary");
            try (Jedis admin = new Jedis("127.0.0.1", redis.port())) {
                admin.configSet("requirepass", password);
            }
            Path file = Files.writeString(dir.resolve("store.password"), password + "\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            cli.set("TOKENKEEPER_STORE", "redis");
            cli.set("TOKENKEEPER_STORE_URL", "redis://127.0.0.1:" + redis.port());

            cli.set("TOKENKEEPER_STORE_PASSWORD_FILE", file.toString());
            assertThat(cli.run("token")).as(errors()).isZero();
            assertThat(keys(redis)).as("the token was stored: the password from the file was accepted").isEqualTo(1);
            assertThat(cli.printed()).doesNotContain("WARN");

            cli.env().remove("TOKENKEEPER_STORE_PASSWORD_FILE");
            cli.set("TOKENKEEPER__CLIENTS__DEFAULT__SCOPE", "other");
            cli.set("TOKENKEEPER__STORE__PASSWORD_ENV", "MY_REDIS_PASSWORD");
            cli.set("MY_REDIS_PASSWORD", password);
            assertThat(cli.run("token")).as(errors()).isZero();
            assertThat(keys(redis)).as("a second entry, stored with the password from the variable").isEqualTo(2);

            Path target = dir.resolve("copy");
            assertThat(cli.run("copy", "--from", "redis://127.0.0.1:" + redis.port(),
                    "--from-password-file", file.toString(), "--from-prefix", cli.env().get("TOKENKEEPER__STORE__PREFIX"),
                    "--to", "file:" + target)).as(errors()).isZero();
            assertThat(cli.out()).contains("copied 2 entries");

            cli.set("MY_REDIS_PASSWORD", "wrong");
            cli.set("TOKENKEEPER__CLIENTS__DEFAULT__SCOPE", "third");
            assertThat(cli.run("token")).as("a refusing store degrades to the IdP").isZero();
            assertThat(keys(redis)).isEqualTo(2);
        }
    }

    private long keys(RequiredServers.LocalRedis redis) {
        try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
            j.auth(password);
            return j.keys("*").stream().filter(k -> !k.contains("lease")).count();
        }
    }
}
