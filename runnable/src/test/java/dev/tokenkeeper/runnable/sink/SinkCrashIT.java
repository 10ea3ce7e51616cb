package dev.tokenkeeper.runnable.sink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import dev.tokenkeeper.testsupport.Await;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: {@code serve} killed with SIGKILL in the middle of rewriting a sink (the temporary file
 * complete, the rename not done) leaves the previous complete file, and a temporary file of another
 * name that the next start removes. Real processes in real time: a process of its own cannot be
 * given the test's clock, so the IdP issues 4-second tokens and the renewal comes after ~2 s.
 */
class SinkCrashIT {

    private static final String SECRET = "sink-crash-it-client-secret";

    @Test
    @DisplayName("kill -9 mid-renewal leaves the previous complete file; the next serve removes the temporary file, "
            + "writes a new token, and deletes the file on SIGTERM (on-shutdown=delete)")
    void killedMidRenewal(@TempDir Path dir) throws Exception {
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofSeconds(4))) {
            Path sink = dir.resolve("orders.json");
            Path marker = dir.resolve("paused-at");
            Map<String, String> env = new HashMap<>(Map.of(
                    "OAUTH_TOKEN_URL", idp.tokenUri().toString(),
                    "OAUTH_CLIENT_ID", "crash-client",
                    "OAUTH_CLIENT_SECRET", SECRET,
                    "TOKENKEEPER_STORE", "memory",
                    "TOKENKEEPER__SIDECAR__PORT", "0",
                    "TOKENKEEPER__REFRESH__CHECK_INTERVAL", "50ms",
                    "TOKENKEEPER__SINKS__ORDERS__CLIENT", "default",
                    "TOKENKEEPER__SINKS__ORDERS__PATH", sink.toString(),
                    "TOKENKEEPER__SINKS__ORDERS__FORMAT", "json"));
            Process paused = CliJvm.start(dir, "paused", env, PausingServe.class.getName(), marker.toString());
            Path tmp;
            try {
                Await.until("the renewal is paused before its rename", Duration.ofSeconds(60),
                        () -> Files.exists(marker) || !paused.isAlive());
                assertThat(paused.isAlive()).as(CliJvm.read(CliJvm.stderr(dir, "paused"))).isTrue();
                tmp = Path.of(Files.readString(marker));
                assertThat(tmp.getParent()).isEqualTo(dir);
                assertThat(tmp.getFileName().toString()).startsWith(".orders.json.tk-").endsWith(".tmp");
                assertThat(tokenIn(tmp)).as("the temporary file holds the renewed token").isEqualTo(idp.issuedTokens().get(1));
            } finally {
                paused.destroyForcibly(); // SIGKILL
            }
            assertThat(paused.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(paused.exitValue()).isEqualTo(137);

            assertThat(tokenIn(sink)).as("the previous complete file").isEqualTo(idp.issuedTokens().get(0));
            assertThat(tmp).as("the temporary file is left under its own name").exists();

            Process serve = CliJvm.start(dir, "serve", env, TokenkeeperCli.class.getName(), "serve");
            try {
                Await.until("the next serve has replaced the token and removed the leftover", Duration.ofSeconds(60), () -> {
                    try {
                        return !Files.exists(tmp) && Files.exists(sink)
                                && !tokenIn(sink).equals(idp.issuedTokens().get(0)) || !serve.isAlive();
                    } catch (Exception e) {
                        return false;
                    }
                });
                assertThat(serve.isAlive()).as(CliJvm.read(CliJvm.stderr(dir, "serve"))).isTrue();
                assertThat(SinkFileTest.leftovers(dir)).isEmpty();
                assertThat(idp.issuedTokens()).contains(tokenIn(sink));
                serve.destroy(); // SIGTERM: a graceful stop
                assertThat(serve.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(serve.exitValue()).as(CliJvm.read(CliJvm.stderr(dir, "serve"))).isZero();
            } finally {
                serve.destroyForcibly();
            }
            assertThat(sink).as("on-shutdown=delete").doesNotExist();
            String logs = CliJvm.read(CliJvm.stderr(dir, "serve"));
            assertThat(logs).contains("removed 1 temporary file(s)", "sink orders: wrote " + sink, "sink orders: removed " + sink);
            String all = logs + CliJvm.read(CliJvm.stderr(dir, "paused")) + CliJvm.read(CliJvm.stdout(dir, "serve"))
                    + CliJvm.read(CliJvm.stdout(dir, "paused"));
            assertThat(all).doesNotContain(SECRET);
            for (String token : idp.issuedTokens()) {
                assertThat(all).as("no token in any output").doesNotContain(token);
            }
        }
    }

    private static String tokenIn(Path file) throws Exception {
        return new JsonObject(Files.readString(file)).getString("access_token");
    }
}
