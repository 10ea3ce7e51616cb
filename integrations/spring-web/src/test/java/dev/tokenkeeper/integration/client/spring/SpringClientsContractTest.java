package dev.tokenkeeper.integration.client.spring;

import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenProvider;
import dev.tokenkeeper.integration.tck.AuthenticatedClientContractKit;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.http.ResponseEntity;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;

/**
 * The client contract for Spring's {@code RestClient} and {@code WebClient}, both on the JDK's HTTP
 * client, and for {@code WebClient} on Reactor Netty, its default connector.
 */
class SpringClientsContractTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Nested
    class RestClientInterceptor extends AuthenticatedClientContractKit {
        @Override
        protected boolean hasOneShotBodies() {
            return false; // Spring hands interceptors every body as a byte[]
        }

        @Override
        protected Driver driver(TokenProvider tokens, TokenKey key) {
            return driver(TokenRequestInterceptor.of(tokens, key));
        }

        /** As the Boot starter builds it ({@code TokenkeeperClients.interceptor}): from the client's rules, DPoP proofs included. */
        @Override
        protected Driver driver(Tokenkeeper tokenkeeper, String client) {
            return driver(TokenRequestInterceptor.of(tokenkeeper.requests(client)));
        }

        private Driver driver(TokenRequestInterceptor interceptor) {
            RestClient rest = RestClient.builder()
                    .requestFactory(new JdkClientHttpRequestFactory())
                    .requestInterceptor(interceptor)
                    .defaultStatusHandler(HttpStatusCode::isError, (request, response) -> {})
                    .build();
            return new Driver() {
                @Override
                public Reply get(URI uri) {
                    return reply(rest.get().uri(uri).retrieve().toEntity(String.class));
                }

                @Override
                public Reply post(URI uri, String body, boolean repeatable) {
                    return reply(rest.post().uri(uri).contentType(MediaType.TEXT_PLAIN).body(body).retrieve()
                            .toEntity(String.class));
                }
            };
        }
    }

    @Nested
    class WebClientFilter extends AuthenticatedClientContractKit {
        @Override
        protected Driver driver(TokenProvider tokens, TokenKey key) {
            return driver(TokenExchangeFilter.of(tokens, key), TokenExchangeFilter.of(tokens, key, 4));
        }

        /** As the Boot starter builds it ({@code TokenkeeperWebClients.filter}): from the client's rules, DPoP proofs included. */
        @Override
        protected Driver driver(Tokenkeeper tokenkeeper, String client) {
            return driver(TokenExchangeFilter.of(tokenkeeper.requests(client)), TokenExchangeFilter.of(tokenkeeper.requests(client), 4));
        }

        private Driver driver(TokenExchangeFilter filter, TokenExchangeFilter keepsNothing) {
            WebClient web = WebClient.builder().clientConnector(new JdkClientHttpConnector())
                    .filter(filter).build();
            // keeps no body for a replay: what a body larger than the replay buffer meets
            WebClient streaming = WebClient.builder().clientConnector(new JdkClientHttpConnector())
                    .filter(keepsNothing).build();
            return new Driver() {
                @Override
                public Reply get(URI uri) {
                    return reply(web.get().uri(uri).exchangeToMono(r -> r.toEntity(String.class)).block(WAIT));
                }

                @Override
                public Reply post(URI uri, String body, boolean repeatable) {
                    WebClient client = repeatable ? web : streaming;
                    return reply(client.post().uri(uri).contentType(MediaType.TEXT_PLAIN)
                            .body(Flux.just(body), String.class)
                            .exchangeToMono(r -> r.toEntity(String.class)).block(WAIT));
                }
            };
        }
    }

    /** The same filter on WebClient's default connector, Reactor Netty, whose answers arrive on its event loop. */
    @Nested
    class WebClientFilterOnReactorNetty extends AuthenticatedClientContractKit {
        @Override
        protected Driver driver(TokenProvider tokens, TokenKey key) {
            return driver(TokenExchangeFilter.of(tokens, key), TokenExchangeFilter.of(tokens, key, 4));
        }

        @Override
        protected Driver driver(Tokenkeeper tokenkeeper, String client) {
            return driver(TokenExchangeFilter.of(tokenkeeper.requests(client)), TokenExchangeFilter.of(tokenkeeper.requests(client), 4));
        }

        private Driver driver(TokenExchangeFilter filter, TokenExchangeFilter keepsNothing) {
            WebClient web = WebClient.builder().clientConnector(new ReactorClientHttpConnector())
                    .filter(filter).build();
            WebClient streaming = WebClient.builder().clientConnector(new ReactorClientHttpConnector())
                    .filter(keepsNothing).build();
            return new Driver() {
                @Override
                public Reply get(URI uri) {
                    return reply(web.get().uri(uri).exchangeToMono(r -> r.toEntity(String.class)).block(WAIT));
                }

                @Override
                public Reply post(URI uri, String body, boolean repeatable) {
                    WebClient client = repeatable ? web : streaming;
                    return reply(client.post().uri(uri).contentType(MediaType.TEXT_PLAIN)
                            .body(Flux.just(body), String.class)
                            .exchangeToMono(r -> r.toEntity(String.class)).block(WAIT));
                }
            };
        }
    }

    private static AuthenticatedClientContractKit.Reply reply(ResponseEntity<String> entity) {
        return new AuthenticatedClientContractKit.Reply(entity.getStatusCode().value(),
                entity.getBody() == null ? "" : entity.getBody());
    }
}
