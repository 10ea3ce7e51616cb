package dev.tokenkeeper.integration.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.integration.tck.ResourceServer;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;

/**
 * The starter in a real Spring Boot application with a real embedded server, configured by
 * properties only: a RestClient call is authenticated, {@code /actuator/health} reflects the token
 * state, the meters are in the application's registry.
 */
@SpringBootTest(classes = TokenkeeperStarterTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TokenkeeperStarterTest {

    static final FakeIdp IDP = FakeIdp.start().issueTokens(Duration.ofHours(1));
    static final ResourceServer API = start();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    private static ResourceServer start() {
        try {
            return ResourceServer.start(token -> IDP.issuedTokens().contains(token));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("tokenkeeper.clients.api.token-url", () -> IDP.tokenUri().toString());
        registry.add("tokenkeeper.clients.api.client-id", () -> "starter-test");
        registry.add("tokenkeeper.clients.api.client-secret", () -> "starter-test-secret");
        registry.add("tokenkeeper.clients.api.allow-insecure-http", () -> "true");
        registry.add("tokenkeeper.spring.oauth2-client-registrations", () -> "false");
        registry.add("management.endpoints.web.exposure.include", () -> "health,metrics");
        registry.add("management.endpoint.health.show-details", () -> "always");
    }

    @AfterAll
    static void stop() {
        API.close();
        IDP.close();
    }

    @SpringBootApplication
    static class App {
        /** The actuator endpoints are open in this test; the starter does not touch security. */
        @Bean
        SecurityFilterChain open(HttpSecurity http) throws Exception {
            return http.authorizeHttpRequests(a -> a.anyRequest().permitAll()).build();
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    RestClient.Builder restClients;

    @Autowired
    TokenkeeperClients clients;

    @Autowired
    Tokenkeeper tokenkeeper;

    @Autowired
    MeterRegistry meters;

    private HttpResponse<String> actuator(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/" + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    @Order(1)
    void a_rest_client_call_is_authenticated() {
        RestClient api = restClients.clone().apply(clients.restClient("api")).build();

        String body = api.get().uri(API.uri("/api/orders")).retrieve().body(String.class);

        assertThat(body).isEqualTo("ok ");
        assertThat(API.seen("/api/orders")).singleElement()
                .extracting(ResourceServer.Seen::authorization).isEqualTo("Bearer " + IDP.issuedTokens().get(0));
    }

    @Test
    @Order(2)
    void the_meters_are_in_the_applications_registry() throws Exception {
        assertThat(meters.get("tokenkeeper.token.valid").tag("client", "api").gauge().value()).isEqualTo(1.0);
        HttpResponse<String> metric = actuator("metrics/tokenkeeper.token.valid");
        assertThat(metric.statusCode()).isEqualTo(200);
        assertThat(metric.body()).contains("\"value\":1.0");
    }

    @Test
    @Order(3)
    void health_is_up_with_a_valid_token() throws Exception {
        HttpResponse<String> health = actuator("health");

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"tokenkeeper\":{").contains("\"check\":\"valid_token\"");
        assertThat(health.body()).doesNotContain(IDP.issuedTokens().get(0)).doesNotContain("starter-test-secret");
    }

    @Test
    @Order(4)
    void health_is_down_when_no_token_can_be_had() throws Exception {
        IDP.acceptOnlyClientSecret("another-secret"); // the IdP now refuses our client: 401 invalid_client
        tokenkeeper.provider().invalidate(clients.key("api"));

        HttpResponse<String> health = actuator("health");

        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(health.body()).contains("\"status\":\"DOWN\"").contains("\"kind\":");
        assertThat(health.body()).doesNotContain("starter-test-secret");
    }
}
