package dev.tokenkeeper.example.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.integration.tck.ResourceServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starts the example as its users would ({@code main}'s {@link SpringApplication}, its own
 * {@code application.properties}), pointed by command-line properties at the fake IdP and a loopback
 * API that checks tokens, and calls it over HTTP.
 */
class OrdersApplicationTest {

    @Test
    void the_example_calls_the_api_with_a_token_and_is_ready() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofHours(1));
                ResourceServer api = ResourceServer.start(token -> idp.issuedTokens().contains(token))) {
            idp.acceptOnlyClientSecret("example-secret");
            try (ConfigurableApplicationContext app = new SpringApplication(OrdersApplication.class).run(
                    "--server.port=0",
                    "--orders.api=" + api.uri(""),
                    "--tokenkeeper.clients.orders.token-url=" + idp.tokenUri(),
                    "--tokenkeeper.clients.orders.client-secret-env=",
                    "--tokenkeeper.clients.orders.client-secret=example-secret",
                    "--tokenkeeper.clients.orders.allow-insecure-http=true")) {
                int port = ((WebServerApplicationContext) app).getWebServer().getPort();

                HttpResponse<String> summary = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/summary")).build(), HttpResponse.BodyHandlers.ofString());
                HttpResponse<String> ready = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness")).build(),
                        HttpResponse.BodyHandlers.ofString());

                assertThat(summary.statusCode()).isEqualTo(200);
                assertThat(summary.body()).isEqualTo("orders say: ok ");
                assertThat(api.seen("/api/orders")).singleElement()
                        .extracting(ResourceServer.Seen::authorization).isEqualTo("Bearer " + idp.issuedTokens().get(0));
                assertThat(ready.statusCode()).isEqualTo(200);
                assertThat(ready.body()).contains("\"tokenkeeper\"").doesNotContain("example-secret");
            }
        }
    }
}
