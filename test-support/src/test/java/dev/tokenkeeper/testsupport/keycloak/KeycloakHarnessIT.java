package dev.tokenkeeper.testsupport.keycloak;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The harness brings up (or reuses) Keycloak with the tests' realm, and its clients work. */
class KeycloakHarnessIT {

    @Test
    void realmIsServedAndSecretClientGetsAToken() throws Exception {
        Keycloak kc = Keycloak.get();
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> discovery = http.send(HttpRequest.newBuilder(
                URI.create(kc.issuer() + "/.well-known/openid-configuration")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(discovery.statusCode()).isEqualTo(200);
        assertThat(discovery.body()).contains("\"issuer\":\"" + kc.issuer() + "\"");

        String basic = Base64.getEncoder().encodeToString(("tk-secret:" + Keycloak.SECRET_CLIENT_SECRET).getBytes());
        HttpResponse<String> token = http.send(HttpRequest.newBuilder(kc.tokenEndpoint())
                .header("Authorization", "Basic " + basic)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
        assertThat(token.body()).contains("\"access_token\"");
        // the same instance again: one per JVM
        assertThat(Keycloak.get()).isSameAs(kc);
    }
}
