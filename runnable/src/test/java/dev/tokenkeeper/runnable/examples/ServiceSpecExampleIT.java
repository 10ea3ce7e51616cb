package dev.tokenkeeper.runnable.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.RequiredServers;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/2-service-spec}: the sidecar with a retry strategy from configuration, a token
 * response without {@code token_type}, a MariaDB token store, and {@code /auth/status/{client}} in
 * the spec's exact shape; against the fake IdP and the loopback MariaDB.
 */
class ServiceSpecExampleIT {

    @TempDir
    Path work;

    final FakeIdp idp = FakeIdp.start();
    final String secret = "spec-secret-" + UUID.randomUUID();
    final String token = "spec-token-" + UUID.randomUUID();

    @AfterEach
    void stop() {
        idp.close();
    }

    @Test
    @DisplayName("one 503 retried per the configured strategy, a token without token_type held, sealed in MariaDB, status in four fields")
    void serviceSpec() throws Exception {
        RequiredServers.PostgresTarget mariadb = RequiredServers.mariadb();
        idp.respondWith(Response.status(503),
                Response.json(200, "{\"access_token\":\"" + token + "\",\"expires_in\":3600}"));
        String clientId = "spec-" + UUID.randomUUID();

        ExampleRun.Result r = ExampleRun.run("2-service-spec", work, Map.of(
                "OAUTH_TOKEN_URL", idp.tokenUri().toString(), "OAUTH_CLIENT_ID", clientId, "OAUTH_CLIENT_SECRET", secret,
                "JDBC_URL", mariadb.jdbcUrl() + "?user=" + mariadb.user(),
                "SEALING_KEY", SealingKeys.generateSpec("k1"),
                "SIDECAR_PORT", String.valueOf(RequiredServers.freePort())));

        String log = Files.readString(work.resolve("sidecar.log"), StandardCharsets.UTF_8);
        assertThat(r.exit()).as(r + "\n--- sidecar.log\n" + log).isZero();
        assertThat(idp.requestCount()).as("the 503 was retried").isEqualTo(2);
        String json = r.stdout().substring(r.stdout().indexOf('{'), r.stdout().lastIndexOf('}') + 1);
        JsonObject status = new JsonObject(json);
        assertThat(status.fieldNames()).containsExactlyInAnyOrder("has_token", "expires_at", "expires_in_seconds", "is_valid");
        assertThat(r.stdout() + r.stderr() + log).doesNotContain(secret).doesNotContain(token);

        List<byte[]> sealed = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(mariadb.jdbcUrl(), mariadb.user(), mariadb.password());
                ResultSet rs = c.createStatement().executeQuery("SELECT sealed FROM tokenkeeper_tokens")) {
            while (rs.next()) {
                sealed.add(rs.getBytes(1));
            }
        }
        assertThat(sealed).as("the token was saved in MariaDB").isNotEmpty();
        for (byte[] b : sealed) {
            assertThat(new String(b, StandardCharsets.ISO_8859_1)).doesNotContain(token).doesNotContain(clientId);
        }
    }
}
