package dev.tokenkeeper.runnable.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.runnable.sink.CliJvm;
import dev.tokenkeeper.testsupport.Await;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: {@code tokenkeeper exec} in a JVM of its own running real shell children: the child
 * sees the token in its environment and nowhere else, exit codes and signals are passed on, the
 * renewal signal arrives once the sink holds the new token. Processes run in real time (a process of
 * its own cannot take the test's clock); the renewal case uses 4-second tokens.
 */
class ExecIT {

    private static final String SECRET = "exec-it-client-secret";

    private static Map<String, String> env(FakeIdp idp) {
        return new HashMap<>(Map.of(
                "OAUTH_TOKEN_URL", idp.tokenUri().toString(),
                "OAUTH_CLIENT_ID", "exec-client",
                "OAUTH_CLIENT_SECRET", SECRET,
                "TOKENKEEPER_STORE", "memory"));
    }

    private static Process exec(Path dir, String name, Map<String, String> env, String... args) {
        List<String> all = new ArrayList<>(List.of("exec"));
        all.addAll(List.of(args));
        return CliJvm.start(dir, name, env, TokenkeeperCli.class.getName(), all.toArray(String[]::new));
    }

    private static int await(Process p) throws InterruptedException {
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("exec did not end within 90 s");
        }
        return p.exitValue();
    }

    private static String output(Path dir, String name) {
        return CliJvm.read(CliJvm.stdout(dir, name)) + CliJvm.read(CliJvm.stderr(dir, name));
    }

    private static void assertNoSecret(String text, FakeIdp idp) {
        assertThat(text).doesNotContain(SECRET);
        for (String token : idp.issuedTokens()) {
            assertThat(text).as("no token in the output").doesNotContain(token);
        }
    }

    @Test
    @DisplayName("the child sees the token in ACCESS_TOKEN (or --env), exits with its own code, 128+N when killed by "
            + "signal N; nothing prints the token")
    void tokenAndExitCodes(@TempDir Path dir) throws Exception {
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofMinutes(10))) {
            Map<String, String> env = env(idp);
            Process ok = exec(dir, "ok", env, "--", "sh", "-c",
                    "test -n \"$ACCESS_TOKEN\" && printf %s \"$ACCESS_TOKEN\" | sha256sum | cut -d' ' -f1 > seen && echo ok");
            assertThat(await(ok)).as(output(dir, "ok")).isZero();
            assertThat(CliJvm.read(CliJvm.stdout(dir, "ok"))).isEqualTo("ok\n");
            assertThat(Files.readString(dir.resolve("seen")).strip()).isEqualTo(sha256(idp.issuedTokens().get(0)));

            // no "--": the command's own options stay its own
            Process named = exec(dir, "named", env, "--env", "ORDERS_TOKEN", "sh", "-c",
                    "test -z \"$ACCESS_TOKEN\" && test -n \"$ORDERS_TOKEN\" && exit 7");
            assertThat(await(named)).as(output(dir, "named")).isEqualTo(7);

            Process killed = exec(dir, "killed", env, "--", "sh", "-c", "kill -9 $$");
            assertThat(await(killed)).as(output(dir, "killed")).isEqualTo(128 + 9);

            Process missing = exec(dir, "missing", env, "--", "/nonexistent/tokenkeeper-test-command");
            assertThat(await(missing)).isEqualTo(ExecCommand.NOT_FOUND);
            assertThat(CliJvm.read(CliJvm.stderr(dir, "missing"))).contains("cannot run /nonexistent/tokenkeeper-test-command (not found)");

            for (String name : List.of("ok", "named", "killed", "missing")) {
                assertNoSecret(output(dir, name), idp);
            }
        }
    }

    @Test
    @DisplayName("no token: exit 1 with the usual message, and the command is never started")
    void noTokenNoChild(@TempDir Path dir) throws Exception {
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofMinutes(10)).acceptOnlyClientSecret("another-secret")) {
            Process p = exec(dir, "refused", env(idp), "--", "sh", "-c", "touch started");
            assertThat(await(p)).as(output(dir, "refused")).isEqualTo(TokenkeeperCli.NO_TOKEN);
            assertThat(CliJvm.read(CliJvm.stderr(dir, "refused"))).contains("tokenkeeper: no token [");
            assertThat(dir.resolve("started")).doesNotExist();
            assertNoSecret(output(dir, "refused"), idp);
        }
    }

    @Test
    @DisplayName("SIGHUP and SIGTERM sent to exec reach the child (which exits 42 on TERM, so exec does); ps shows no token")
    void signalsForwarded(@TempDir Path dir) throws Exception {
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofMinutes(10))) {
            Process p = exec(dir, "signals", env(idp), "--", "sh", "-c",
                    "trap 'echo hup >> hups' HUP; trap 'exit 42' TERM; touch ready; while :; do sleep 0.05; done");
            try {
                Await.until("the child runs", Duration.ofSeconds(60), () -> Files.exists(dir.resolve("ready")) || !p.isAlive());
                assertThat(p.isAlive()).as(output(dir, "signals")).isTrue();
                String token = idp.issuedTokens().get(0);
                Process ps = new ProcessBuilder("ps", "-eo", "args").redirectErrorStream(true).start();
                String table = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(ps.waitFor()).isZero();
                assertThat(table).contains("trap 'echo hup >> hups' HUP").doesNotContain(token).doesNotContain(SECRET);

                assertThat(new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).start().waitFor()).isZero();
                Await.until("the child got SIGHUP", () -> CliJvm.read(dir.resolve("hups")).contains("hup"));
                assertThat(p.isAlive()).as("HUP is passed on, not taken as a stop").isTrue();

                p.destroy(); // SIGTERM to exec
                assertThat(await(p)).as(output(dir, "signals")).isEqualTo(42);
            } finally {
                p.destroyForcibly();
            }
            assertNoSecret(output(dir, "signals"), idp);
        }
    }

    @Test
    @DisplayName("--renew-signal HUP: after a renewal the sink holds the new token, then the child gets SIGHUP and reads it")
    void renewSignal(@TempDir Path dir) throws Exception {
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofSeconds(4))) {
            Path sink = dir.resolve("token.json");
            Map<String, String> env = env(idp);
            env.put("TOKENKEEPER__REFRESH__CHECK_INTERVAL", "50ms");
            env.put("TOKENKEEPER__SINKS__TOKEN__CLIENT", "default");
            env.put("TOKENKEEPER__SINKS__TOKEN__PATH", sink.toString());
            env.put("TOKENKEEPER__SINKS__TOKEN__FORMAT", "json");
            // on HUP the child copies the sink as it is at that moment
            Process p = exec(dir, "renew", env, "--renew-signal", "HUP", "--", "sh", "-c",
                    "cp \"$1\" at-start; trap 'cp \"$1\" at-hup; echo hup >> hups' HUP; while :; do sleep 0.05; done", "sh",
                    sink.toString());
            try {
                Await.until("the child got the renewal signal", Duration.ofSeconds(60),
                        () -> CliJvm.read(dir.resolve("hups")).contains("hup") || !p.isAlive());
                assertThat(p.isAlive()).as(output(dir, "renew")).isTrue();
                String atStart = new JsonObject(Files.readString(dir.resolve("at-start"))).getString("access_token");
                String atHup = new JsonObject(Files.readString(dir.resolve("at-hup"))).getString("access_token");
                assertThat(atStart).as("the sink existed before the child started").isEqualTo(idp.issuedTokens().get(0));
                assertThat(atHup).as("the renewed token was in the sink when the signal came").isNotEqualTo(atStart);
                assertThat(idp.issuedTokens()).contains(atHup);
                p.destroy();
                assertThat(await(p)).as("the child died of the forwarded SIGTERM").isEqualTo(128 + 15);
            } finally {
                p.destroyForcibly();
            }
            assertThat(sink).as("on-shutdown=delete").doesNotExist();
            assertNoSecret(output(dir, "renew"), idp);
        }
    }

    @Test
    @DisplayName("config check lists the sinks, and every sink mistake with the other problems (exit 3)")
    void configCheck(@TempDir Path dir) throws Exception {
        try (FakeIdp idp = FakeIdp.start()) {
            Map<String, String> env = env(idp);
            env.put("TOKENKEEPER__SINKS__TOKEN__CLIENT", "default");
            env.put("TOKENKEEPER__SINKS__TOKEN__PATH", dir.resolve("token.json").toString());
            env.put("TOKENKEEPER__SINKS__TOKEN__FORMAT", "json");
            Process ok = CliJvm.start(dir, "check-ok", env, TokenkeeperCli.class.getName(), "config", "check");
            assertThat(await(ok)).as(output(dir, "check-ok")).isZero();
            assertThat(CliJvm.read(CliJvm.stdout(dir, "check-ok")))
                    .contains("sink token: client=default path=" + dir.resolve("token.json") + " format=json mode=rw------- on-shutdown=delete");
            env.put("TOKENKEEPER__SINKS__TOKEN__MODE", "0666");
            env.put("TOKENKEEPER__SINKS__OTHER__CLIENT", "nobody");
            env.put("TOKENKEEPER_REFRESH_AHEAD", "-1s");
            Process bad = CliJvm.start(dir, "check-bad", env, TokenkeeperCli.class.getName(), "config", "check");
            assertThat(await(bad)).isEqualTo(TokenkeeperCli.BAD_CONFIGURATION);
            assertThat(CliJvm.read(CliJvm.stderr(dir, "check-bad"))).contains("sinks.token.mode: must let the owner read",
                    "sinks.other.client: no client named 'nobody'", "sinks.other.path: required", "refresh.ahead");
            assertNoSecret(output(dir, "check-ok") + output(dir, "check-bad"), idp);
        }
    }

    private static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
