package dev.tokenkeeper.integration.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver.clientRegistrationId;

import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.integration.tck.ResourceServer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.security.oauth2.client.AuthorizedClientServiceOAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.InMemoryOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.client.RestClient;

/**
 * An application that calls its API the Spring Security way ({@code OAuth2ClientHttpRequestInterceptor}
 * with the application's {@link OAuth2AuthorizedClientManager}, configured by
 * {@code spring.security.oauth2.client.registration.*}) gets its tokens from tokenkeeper without a
 * change: 32 concurrent calls make one token request, where Spring's own manager makes one per
 * caller that arrives before the first token.
 */
@SpringBootTest(classes = TokenkeeperAuthorizedClientManagerTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.NONE)
class TokenkeeperAuthorizedClientManagerTest {

    static final FakeIdp IDP = FakeIdp.start().issueTokens(Duration.ofHours(1));
    static final ResourceServer API = start();

    private static ResourceServer start() {
        try {
            return ResourceServer.start(token -> IDP.issuedTokens().contains(token));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("spring.security.oauth2.client.registration.orders.authorization-grant-type", () -> "client_credentials");
        registry.add("spring.security.oauth2.client.registration.orders.client-id", () -> "orders-app");
        registry.add("spring.security.oauth2.client.registration.orders.client-secret", () -> "orders-secret");
        registry.add("spring.security.oauth2.client.registration.orders.scope", () -> "orders.read,orders.write");
        registry.add("spring.security.oauth2.client.provider.orders.token-uri", () -> IDP.tokenUri().toString());
        // the fake IdP is plain http on loopback; a real one is https and needs nothing here
        registry.add("tokenkeeper.clients.orders.allow-insecure-http", () -> "true");
    }

    @AfterAll
    static void stop() {
        API.close();
        IDP.close();
    }

    @SpringBootApplication
    static class App {}

    @Autowired
    OAuth2AuthorizedClientManager manager;

    @Autowired
    RestClient.Builder restClients;

    @Autowired
    ClientRegistrationRepository registrations;

    /** 32 calls released together through {@code manager}; answers the token requests they made. */
    private int concurrentCalls(OAuth2AuthorizedClientManager manager, String path) throws Exception {
        RestClient orders = restClients.clone().requestInterceptor(new OAuth2ClientHttpRequestInterceptor(manager)).build();
        int before = IDP.requestCount();
        int n = 32;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<String>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                calls.add(pool.submit(() -> {
                    start.await();
                    return orders.get().uri(API.uri(path)).attributes(clientRegistrationId("orders"))
                            .retrieve().body(String.class);
                }));
            }
            start.countDown();
            for (Future<String> call : calls) {
                assertThat(call.get(60, TimeUnit.SECONDS)).isEqualTo("ok ");
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(API.seen(path)).hasSize(n);
        return IDP.requestCount() - before;
    }

    @Test
    void the_registration_is_served_by_tokenkeeper_and_32_concurrent_calls_make_one_token_request() throws Exception {
        assertThat(manager).isInstanceOf(TokenkeeperAuthorizedClientManager.class);
        IDP.latency(Duration.ofMillis(300)); // every call arrives while the first token request is still out
        try {
            assertThat(concurrentCalls(manager, "/api/orders")).isEqualTo(1);
        } finally {
            IDP.latency(Duration.ZERO);
        }
        assertThat(IDP.lastRequest().toString()).doesNotContain("orders-secret");
        assertThat(FakeIdp.clientIdOf(IDP.lastRequest())).isEqualTo("orders-app");
        String token = IDP.issuedTokens().get(IDP.issuedTokens().size() - 1);
        assertThat(API.seen("/api/orders")).extracting(ResourceServer.Seen::authorization).containsOnly("Bearer " + token);
    }

    /** What the application had before: Spring's own manager and in-memory service, no single flight. */
    @Test
    void spring_alone_makes_a_token_request_per_caller_that_arrives_before_the_first_token() throws Exception {
        OAuth2AuthorizedClientManager spring = new AuthorizedClientServiceOAuth2AuthorizedClientManager(registrations,
                new InMemoryOAuth2AuthorizedClientService(registrations));
        IDP.latency(Duration.ofMillis(300));
        try {
            assertThat(concurrentCalls(spring, "/api/spring-alone")).as("token requests by Spring's own manager").isGreaterThan(1);
        } finally {
            IDP.latency(Duration.ZERO);
        }
    }
}
