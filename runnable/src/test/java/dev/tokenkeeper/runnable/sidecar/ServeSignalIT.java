package dev.tokenkeeper.runnable.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.testsupport.RequiredServers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: SIGTERM to {@code serve} exited 143 without its "stopped" line although
 * {@code serve --help} promises 0. The real command runs in a JVM of its own, and
 * {@link Process#destroy()} sends it SIGTERM, as an orchestrator does.
 */
class ServeSignalIT {

    @Test
    @DisplayName("SIGTERM stops serve gracefully: the \"stopped\" line, exit 0, the port closed")
    void sigtermExitsZero(@TempDir Path dir) throws Exception {
        String secret = "signal-secret-" + UUID.randomUUID();
        int port = RequiredServers.freePort();
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofHours(1))) {
            Path stderr = dir.resolve("stderr.txt");
            ProcessBuilder pb = new ProcessBuilder(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", classPath(), TokenkeeperCli.class.getName(), "serve"))
                    .directory(dir.toFile())
                    .redirectOutput(dir.resolve("stdout.txt").toFile())
                    .redirectError(stderr.toFile());
            Map<String, String> env = pb.environment();
            env.keySet().removeIf(k -> k.startsWith("OAUTH_") || k.startsWith("TOKENKEEPER"));
            env.putAll(Map.of(
                    "OAUTH_TOKEN_URL", idp.tokenUri().toString(),
                    "OAUTH_CLIENT_ID", "signal-client",
                    "OAUTH_CLIENT_SECRET", secret,
                    "TOKENKEEPER_STORE", "memory",
                    "TOKENKEEPER__SIDECAR__PORT", String.valueOf(port)));
            Process serve = pb.start();
            try {
                Await.until("serve is listening", Duration.ofSeconds(60),
                        () -> read(stderr).contains("sidecar listening") || !serve.isAlive());
                assertThat(serve.isAlive()).as(read(stderr)).isTrue();
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
                URI live = URI.create("http://127.0.0.1:" + port + "/health/live");
                assertThat(http.send(HttpRequest.newBuilder(live).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode()).isEqualTo(200);

                serve.destroy(); // SIGTERM on Unix
                assertThat(serve.waitFor(30, TimeUnit.SECONDS)).as("serve ended").isTrue();
                String err = read(stderr);
                assertThat(serve.exitValue()).as(err).isEqualTo(TokenkeeperCli.OK);
                assertThat(err).contains("tokenkeeper: sidecar stopped").doesNotContain(secret);
                assertThat(err.indexOf("sidecar stopped")).as("said once").isEqualTo(err.lastIndexOf("sidecar stopped"));
            } finally {
                serve.destroyForcibly();
            }
        }
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Surefire and Failsafe put the real test class path here even when they boot from a manifest-only jar. */
    static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }
}
