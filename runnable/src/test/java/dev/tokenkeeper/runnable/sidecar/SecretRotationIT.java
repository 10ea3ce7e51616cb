package dev.tokenkeeper.runnable.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.fakeidp.FakeIdp.RecordedRequest;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.testsupport.RequiredServers;
import dev.tokenkeeper.testsupport.SecretScanner;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16, item 8, end to end: {@code serve} with {@code client-secret-file}; the IdP accepts
 * secret A, is then switched to accept only B, and the file is rewritten to B. The next acquisition
 * succeeds with B after at most one rejected request, with no restart, and a valid token is served
 * throughout.
 */
class SecretRotationIT {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    @DisplayName("serve picks up a rotated client-secret-file: at most one rejected request, a valid token throughout")
    void rotation(@TempDir Path dir) throws Exception {
        try (SecretScanner scanner = new SecretScanner();
                FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofSeconds(6))) {
            String secretA = scanner.secret("rotation-A-" + UUID.randomUUID());
            String secretB = scanner.secret("rotation-B-" + UUID.randomUUID());
            String bearer = scanner.secret("bearer-" + UUID.randomUUID());
            idp.acceptOnlyClientSecret(secretA);
            Path secretFile = Files.writeString(dir.resolve("client.secret"), secretA + "\n");
            Files.setPosixFilePermissions(secretFile, PosixFilePermissions.fromString("rw-------"));
            int port = RequiredServers.freePort();
            Path config = Files.writeString(dir.resolve("tokenkeeper.properties"), String.join("\n",
                    "clients.rotating.token-url=" + idp.tokenUri(),
                    "clients.rotating.client-id=rotating-client",
                    "clients.rotating.client-secret-file=" + secretFile,
                    // 6 s tokens, refreshed 3 s ahead: a refresh every ~3 s while the old token stays valid
                    "refresh.ahead=3s",
                    "refresh.clock-skew=0s",
                    "refresh.jitter=0",
                    "resilience.attempts=1",
                    "sidecar.port=" + port,
                    "sidecar.token-endpoint.enabled=true",
                    "sidecar.token-endpoint.secret-env=SIDECAR_BEARER",
                    ""));
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            Thread serve = new Thread(() -> exit.complete(TokenkeeperCli.run(Map.of("SIDECAR_BEARER", bearer),
                    "--config", config.toString(), "serve")), "serve-under-test");
            serve.start();
            URI token = URI.create("http://127.0.0.1:" + port + "/token/rotating");
            List<Integer> statuses = new ArrayList<>();
            try {
                Await.until("a first token served", () -> fetch(token, bearer, statuses) != null);
                int before = idp.requestCount();
                int issuedBefore = idp.issuedTokens().size();
                assertThat(idp.requests()).allSatisfy(r -> assertThat(FakeIdp.clientSecretOf(r)).isEqualTo(secretA));

                // rotate: the IdP now accepts only B, and the operator rewrites the file
                idp.acceptOnlyClientSecret(secretB);
                Files.writeString(secretFile, secretB + "\n");

                // keep asking, as an application would, until a token acquired with B is served (once the IdP
                // accepts only B, every token it issues was asked for with B)
                Await.until("a token acquired with the new secret is served", Duration.ofSeconds(20), () -> {
                    String served = fetch(token, bearer, statuses);
                    return served != null && idp.issuedTokens().indexOf(served) >= issuedBefore;
                });
                List<RecordedRequest> after = idp.requests().subList(before, idp.requestCount());
                long rejected = after.stream().filter(r -> !secretB.equals(FakeIdp.clientSecretOf(r))).count();
                assertThat(rejected).as("requests sent with the old secret after the rotation").isLessThanOrEqualTo(1);
                assertThat(statuses).as("every request got a valid token").containsOnly(200);
            } finally {
                serve.interrupt();
                assertThat(exit.get(30, TimeUnit.SECONDS)).isEqualTo(TokenkeeperCli.OK);
            }
        }
    }

    /** The token served now (and its status recorded), or null while none is. */
    private String fetch(URI token, String bearer, List<Integer> statuses) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(token).header("Authorization", "Bearer " + bearer)
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                JsonObject body = new JsonObject(r.body());
                assertThat(body.getLong("expires_in")).as("a token with life left").isPositive();
                statuses.add(200);
                return body.getString("access_token");
            }
            if (!statuses.isEmpty()) {
                statuses.add(r.statusCode()); // after the first token, anything but 200 is a failure
            }
            return null;
        } catch (java.io.IOException e) {
            return null; // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
