package dev.tokenkeeper.integration.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.springframework.security.oauth2.client.web.client.RequestAttributeClientRegistrationIdResolver.clientRegistrationId;

import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.integration.tck.ResourceServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.http.ResponseEntity;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.web.OAuth2AuthorizedClientRepository;
import org.springframework.security.oauth2.client.web.client.OAuth2ClientHttpRequestInterceptor;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestClient;

/**
 * The Spring Security path when the resource server rejects a token: an application configured with
 * {@code spring.security.oauth2.client.registration.*} calls its API through Spring's
 * {@code OAuth2ClientHttpRequestInterceptor} with the usual failure handler (which removes the
 * authorized client from the application's {@link OAuth2AuthorizedClientService} or
 * {@link OAuth2AuthorizedClientRepository}); tokenkeeper then drops the rejected token, only if it is
 * still current, and the next call gets a fresh one. Spring does not replay: the 401 reaches the
 * caller, as it would without tokenkeeper. A real embedded server serves the application's own
 * endpoint, which calls the API inside a servlet request.
 */
@SpringBootTest(classes = TokenkeeperRejectedTokenTest.App.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TokenkeeperRejectedTokenTest {

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
        registry.add("spring.security.oauth2.client.registration.orders.authorization-grant-type", () -> "client_credentials");
        registry.add("spring.security.oauth2.client.registration.orders.client-id", () -> "orders-app");
        registry.add("spring.security.oauth2.client.registration.orders.client-secret", () -> "orders-secret");
        registry.add("spring.security.oauth2.client.provider.orders.token-uri", () -> IDP.tokenUri().toString());
        registry.add("tokenkeeper.clients.orders.allow-insecure-http", () -> "true");
    }

    @AfterAll
    static void stop() {
        API.close();
        IDP.close();
    }

    @SpringBootApplication
    static class App {
        @Bean
        SecurityFilterChain open(HttpSecurity http) throws Exception {
            return http.authorizeHttpRequests(a -> a.anyRequest().permitAll()).build();
        }

        /** The API client as Spring Security's documentation writes it, removals through the repository. */
        @Bean
        RestClient ordersApi(RestClient.Builder builder, OAuth2AuthorizedClientManager manager,
                OAuth2AuthorizedClientRepository repository) {
            OAuth2ClientHttpRequestInterceptor interceptor = new OAuth2ClientHttpRequestInterceptor(manager);
            interceptor.setAuthorizationFailureHandler(OAuth2ClientHttpRequestInterceptor.authorizationFailureHandler(repository));
            return builder.requestInterceptor(interceptor).build();
        }

        @RestController
        static class Proxy {
            private final RestClient ordersApi;

            Proxy(RestClient ordersApi) {
                this.ordersApi = ordersApi;
            }

            /** Calls the API inside this servlet request and answers with its status. */
            @GetMapping("/proxy")
            ResponseEntity<String> proxy() {
                try {
                    return ResponseEntity.ok(ordersApi.get().uri(API.uri("/api/proxied")).attributes(clientRegistrationId("orders"))
                            .retrieve().body(String.class));
                } catch (HttpClientErrorException e) {
                    return ResponseEntity.status(e.getStatusCode()).body("");
                }
            }
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    OAuth2AuthorizedClientManager manager;

    @Autowired
    OAuth2AuthorizedClientService service;

    @Autowired
    OAuth2AuthorizedClientRepository repository;

    @Autowired
    RestClient.Builder restClients;

    /** A client whose failure handler removes through the service (what code outside a servlet request uses). */
    private RestClient serviceClient() {
        OAuth2ClientHttpRequestInterceptor interceptor = new OAuth2ClientHttpRequestInterceptor(manager);
        interceptor.setAuthorizationFailureHandler(OAuth2ClientHttpRequestInterceptor.authorizationFailureHandler(service));
        return restClients.clone().requestInterceptor(interceptor).build();
    }

    private static String call(RestClient client, String path) {
        return client.get().uri(API.uri(path)).attributes(clientRegistrationId("orders")).retrieve().body(String.class);
    }

    /** The token the API accepts now, after one good call. */
    private String current(RestClient client) {
        assertThat(call(client, "/api/warm")).isEqualTo("ok ");
        List<ResourceServer.Seen> warm = API.seen("/api/warm");
        return warm.get(warm.size() - 1).authorization().substring("Bearer ".length());
    }

    @Test
    void the_beans_are_tokenkeepers() {
        assertThat(manager).isInstanceOf(TokenkeeperAuthorizedClientManager.class);
        assertThat(service).isInstanceOf(TokenkeeperAuthorizedClientService.class);
        assertThat(repository).isInstanceOf(TokenkeeperAuthorizedClientRepository.class);
    }

    @Test
    void a_rejected_token_is_dropped_through_the_service_and_the_next_call_gets_a_fresh_one() {
        RestClient client = serviceClient();
        String rejected = current(client);
        int before = IDP.requestCount();
        API.revoke(rejected);

        assertThatThrownBy(() -> call(client, "/api/service")).isInstanceOf(HttpClientErrorException.Unauthorized.class);
        assertThat(call(client, "/api/service")).isEqualTo("ok ");

        assertThat(IDP.requestCount()).isEqualTo(before + 1);
        String fresh = IDP.issuedTokens().get(IDP.issuedTokens().size() - 1);
        assertThat(fresh).isNotEqualTo(rejected);
        assertThat(API.seen("/api/service")).extracting(ResourceServer.Seen::authorization)
                .containsExactly("Bearer " + rejected, "Bearer " + fresh);
    }

    @Test
    void a_rejected_token_is_dropped_through_the_repository_inside_a_servlet_request() throws Exception {
        String rejected = current(serviceClient());
        int before = IDP.requestCount();
        API.revoke(rejected);

        assertThat(proxy().statusCode()).isEqualTo(401);
        HttpResponse<String> next = proxy();

        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(next.body()).isEqualTo("ok ");
        assertThat(IDP.requestCount()).isEqualTo(before + 1);
    }

    @Test
    void concurrent_rejections_of_one_token_make_one_token_request() throws Exception {
        RestClient client = serviceClient();
        API.revoke(current(client));
        int before = IDP.requestCount();
        int n = 32;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<String>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                calls.add(pool.submit(() -> {
                    start.await();
                    try {
                        return call(client, "/api/together");
                    } catch (HttpClientErrorException.Unauthorized e) {
                        return call(client, "/api/together"); // the caller's own retry, as Spring leaves it to the caller
                    }
                }));
            }
            start.countDown();
            for (Future<String> call : calls) {
                assertThat(call.get(60, TimeUnit.SECONDS)).isEqualTo("ok ");
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(IDP.requestCount()).as("one token request for all the rejections of one token").isEqualTo(before + 1);
    }

    @Test
    void a_403_does_not_drop_the_token() {
        RestClient client = serviceClient();
        String token = current(client);
        int before = IDP.requestCount();

        assertThatThrownBy(() -> call(client, "/admin")).isInstanceOf(HttpClientErrorException.Forbidden.class);
        assertThat(call(client, "/api/after-403")).isEqualTo("ok ");

        assertThat(IDP.requestCount()).isEqualTo(before);
        assertThat(API.seen("/api/after-403")).extracting(ResourceServer.Seen::authorization).containsOnly("Bearer " + token);
    }

    private HttpResponse<String> proxy() throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/proxy")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
