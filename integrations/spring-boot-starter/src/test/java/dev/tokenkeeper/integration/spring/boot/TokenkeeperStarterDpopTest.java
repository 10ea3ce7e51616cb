package dev.tokenkeeper.integration.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.integration.tck.ResourceServer;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;

/**
 * A DPoP-bound client configured by properties only ({@code tokenkeeper.clients.bound.dpop=true}):
 * the starter's RestClient customisation, by name and as the default client, sends the token as
 * {@code DPoP} with a proof per request that a resource server demanding DPoP accepts.
 */
@SpringBootTest(classes = TokenkeeperStarterDpopTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.NONE)
class TokenkeeperStarterDpopTest {

    static final FakeIdp IDP = FakeIdp.start().issueTokens(Duration.ofHours(1)).bindDpopTokens(true);
    static final ResourceServer API = start();

    private static ResourceServer start() {
        try {
            return ResourceServer.start(token -> IDP.issuedTokens().contains(token), IDP::dpopProofOf);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("tokenkeeper.clients.bound.token-url", () -> IDP.tokenUri().toString());
        registry.add("tokenkeeper.clients.bound.client-id", () -> "starter-dpop");
        registry.add("tokenkeeper.clients.bound.client-secret", () -> "starter-dpop-secret");
        registry.add("tokenkeeper.clients.bound.allow-insecure-http", () -> "true");
        registry.add("tokenkeeper.clients.bound.dpop", () -> "true");
        registry.add("tokenkeeper.spring.default-client", () -> "bound");
        registry.add("tokenkeeper.spring.oauth2-client-registrations", () -> "false");
    }

    @AfterAll
    static void stop() {
        API.close();
        IDP.close();
    }

    @SpringBootApplication
    static class App {}

    @Autowired
    RestClient.Builder restClients;

    @Autowired
    TokenkeeperClients clients;

    @Test
    void a_dpop_bound_clients_rest_client_sends_a_valid_proof_with_every_request() {
        RestClient byName = RestClient.builder().apply(clients.restClient("bound")).build();
        RestClient byDefault = restClients.build(); // customised by tokenkeeper.spring.default-client

        assertThat(byName.get().uri(API.uri("/api/orders")).retrieve().body(String.class)).isEqualTo("ok ");
        assertThat(byDefault.post().uri(API.uri("/api/orders")).body("x").retrieve().body(String.class)).isEqualTo("ok x");

        List<ResourceServer.Seen> seen = API.seen("/api/orders");
        String token = IDP.issuedTokens().get(0);
        assertThat(IDP.issuedTokens()).hasSize(1);
        assertThat(IDP.dpopProofOf(token)).isNotNull();
        assertThat(seen).hasSize(2).allSatisfy(s -> {
            assertThat(s.authorization()).isEqualTo("DPoP " + token);
            assertThat(s.problem()).isNull();
        });
        assertThat(seen).extracting(s -> s.proof().jti()).doesNotHaveDuplicates();
    }
}
