package dev.tokenkeeper.integration.spring.boot;

import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.integration.client.spring.TokenRequestInterceptor;
import java.util.Objects;
import java.util.function.Consumer;
import org.springframework.web.client.RestClient;

/**
 * Authenticates Spring HTTP clients per configured tokenkeeper client, by name:
 *
 * <pre>{@code
 * @Bean
 * RestClient orders(RestClient.Builder builder, TokenkeeperClients tokenkeeper) {
 *     return builder.apply(tokenkeeper.restClient("orders")).baseUrl("https://orders.example").build();
 * }
 * }</pre>
 *
 * For {@code WebClient} see {@link TokenkeeperWebClients}. A builder customised by
 * {@code tokenkeeper.spring.default-client} gets that client already. Thread-safe.
 */
public final class TokenkeeperClients {

    private final Tokenkeeper tokenkeeper;

    TokenkeeperClients(Tokenkeeper tokenkeeper) {
        this.tokenkeeper = Objects.requireNonNull(tokenkeeper, "tokenkeeper");
    }

    /** The key of the configured client {@code name} (its configured scopes). */
    public TokenKey key(String name) {
        return tokenkeeper.key(name);
    }

    /**
     * The interceptor for client {@code name}, for a {@code RestClient} or {@code RestTemplate}; with
     * {@code tokenkeeper.clients.<name>.dpop=true} it sends a DPoP proof with every request.
     */
    public TokenRequestInterceptor interceptor(String name) {
        return TokenRequestInterceptor.of(tokenkeeper.requests(name));
    }

    /** Adds client {@code name}'s tokens to a {@code RestClient.Builder} ({@code builder.apply(...)}). */
    public Consumer<RestClient.Builder> restClient(String name) {
        TokenRequestInterceptor interceptor = interceptor(name);
        return builder -> builder.requestInterceptor(interceptor);
    }

    @Override
    public String toString() {
        return "TokenkeeperClients" + tokenkeeper.config().clients().keySet();
    }
}
