package dev.tokenkeeper.runnable.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.testsupport.RequiredServers;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI and the sidecar obtain tokens with every grant from a properties file alone, against a
 * real OAuth 2.0 server (mock-oauth2-server, in this JVM): the tokens' subjects show which
 * credential the server was given.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrantsCliIT {

    static final String ISSUER = "grants-cli";
    final String password = "pw-" + UUID.randomUUID();
    final String clientSecret = "cs-" + UUID.randomUUID();
    MockOAuth2Server server;
    @TempDir
    Path dir;

    @RegisterExtension
    final CapturedCli cli = new CapturedCli();

    @BeforeAll
    void start() {
        server = new MockOAuth2Server();
        server.start();
    }

    @AfterAll
    void stop() {
        server.shutdown();
    }

    @AfterEach
    void nothingSecretPrinted() {
        assertThat(cli.printed()).doesNotContain(password).doesNotContain(clientSecret);
    }

    /** One properties file with a client per grant; DPoP on the exchange client. */
    Path config(String... extra) throws Exception {
        Path subject = Files.writeString(dir.resolve("subject.jwt"), server.issueToken(ISSUER, "svc-subject", "tk").serialize());
        Path assertion = Files.writeString(dir.resolve("assertion.jwt"), server.issueToken(ISSUER, "svc-workload", "tk").serialize());
        Path pw = Files.writeString(dir.resolve("password"), password);
        for (Path secretFile : new Path[] {subject, assertion, pw}) {
            Files.setPosixFilePermissions(secretFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        String url = server.tokenEndpointUrl(ISSUER).toString();
        StringBuilder sb = new StringBuilder();
        for (String[] c : new String[][] {
            {"exchange", "grant=token_exchange", "subject-token-file=" + subject, "subject-token-type=jwt",
                "audience=api://downstream", "dpop=true"},
            {"bearer", "grant=jwt_bearer", "grant-assertion-file=" + assertion, "scope=api.read"},
            {"login", "grant=password", "username=erin", "password-file=" + pw},
        }) {
            sb.append("clients.").append(c[0]).append(".token-url=").append(url).append('\n');
            sb.append("clients.").append(c[0]).append(".client-id=").append(c[0]).append("-client\n");
            sb.append("clients.").append(c[0]).append(".client-secret-env=CLIENT_SECRET\n");
            for (int i = 1; i < c.length; i++) {
                sb.append("clients.").append(c[0]).append('.').append(c[i]).append('\n');
            }
        }
        sb.append("store.type=memory\n");
        for (String e : extra) {
            sb.append(e).append('\n');
        }
        return Files.writeString(dir.resolve("tokenkeeper.properties"), sb.toString());
    }

    String subjectOf(String jwt) throws Exception {
        return SignedJWT.parse(jwt.strip()).getJWTClaimsSet().getSubject();
    }

    @Test
    @DisplayName("tokenkeeper token --client X: token exchange, JWT bearer and password from the properties file")
    void cliEveryGrant() throws Exception {
        Path config = config();
        Map<String, String> env = Map.of("CLIENT_SECRET", clientSecret);
        assertThat(cli.run(env, "--config", config.toString(), "token", "--client", "exchange")).as(cli.printed()).isZero();
        assertThat(subjectOf(cli.out())).isEqualTo("svc-subject");
        assertThat(cli.run(env, "--config", config.toString(), "token", "--client", "bearer")).as(cli.printed()).isZero();
        assertThat(subjectOf(cli.out())).isEqualTo("svc-workload");
        assertThat(cli.run(env, "--config", config.toString(), "token", "--client", "login")).isZero();
        assertThat(subjectOf(cli.out())).isEqualTo("erin");
        assertThat(cli.run(env, "--config", config.toString(), "config", "check")).isZero();
        assertThat(cli.out()).contains("grant=urn:ietf:params:oauth:grant-type:token-exchange dpop-jkt=")
                .contains("grant=password");
    }

    @Test
    @DisplayName("tokenkeeper serve: the sidecar hands out a token of each grant")
    void sidecarEveryGrant() throws Exception {
        int port = RequiredServers.freePort();
        String bearer = "sidecar-bearer-" + UUID.randomUUID();
        Path config = config("sidecar.port=" + port, "sidecar.token-endpoint.enabled=true",
                "sidecar.token-endpoint.secret-env=SIDECAR_BEARER");
        Map<String, String> env = Map.of("CLIENT_SECRET", clientSecret, "SIDECAR_BEARER", bearer);
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Thread serve = new Thread(() -> exit.complete(TokenkeeperCli.run(env, "--config", config.toString(), "serve")),
                "serve-under-test");
        serve.start();
        HttpClient http = HttpClient.newHttpClient();
        try {
            Map<String, String> subjects = Map.of("exchange", "svc-subject", "bearer", "svc-workload", "login", "erin");
            for (Map.Entry<String, String> e : subjects.entrySet()) {
                HttpResponse<String> r = null;
                // the sidecar binds in the background: poll its port for a bounded time (a real-time wait)
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (r == null) {
                    try {
                        r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/token/" + e.getKey()))
                                .header("Authorization", "Bearer " + bearer).timeout(Duration.ofSeconds(10)).build(),
                                HttpResponse.BodyHandlers.ofString());
                    } catch (java.net.ConnectException notYet) {
                        assertThat(System.nanoTime()).as("sidecar listening in time").isLessThan(deadline);
                        Thread.sleep(100); // real time: the sidecar is another process, listening when it is ready
                    }
                }
                assertThat(r.statusCode()).as(e.getKey() + " " + r.body()).isEqualTo(200);
                JsonObject body = new JsonObject(r.body());
                assertThat(subjectOf(body.getString("access_token"))).isEqualTo(e.getValue());
            }
        } finally {
            serve.interrupt(); // the graceful stop SidecarIT tests
            assertThat(exit.get(30, TimeUnit.SECONDS)).isEqualTo(TokenkeeperCli.OK);
        }
    }
}
