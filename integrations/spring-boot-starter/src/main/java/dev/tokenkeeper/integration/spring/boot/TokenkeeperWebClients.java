package dev.tokenkeeper.integration.spring.boot;

import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.integration.client.spring.TokenExchangeFilter;
import java.util.Objects;
import java.util.function.Consumer;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Authenticates {@code WebClient}s per configured tokenkeeper client, by name (a bean only when
 * Spring WebFlux is on the class path):
 *
 * <pre>{@code
 * WebClient orders = builder.apply(webClients.webClient("orders")).build();
 * }</pre>
 * Thread-safe.
 */
public final class TokenkeeperWebClients {

    private final Tokenkeeper tokenkeeper;

    TokenkeeperWebClients(Tokenkeeper tokenkeeper) {
        this.tokenkeeper = Objects.requireNonNull(tokenkeeper, "tokenkeeper");
    }

    /** The filter for client {@code name}; with {@code tokenkeeper.clients.<name>.dpop=true} it sends a DPoP proof with every request. */
    public TokenExchangeFilter filter(String name) {
        return TokenExchangeFilter.of(tokenkeeper.requests(name));
    }

    /** Adds client {@code name}'s tokens to a {@code WebClient.Builder} ({@code builder.apply(...)}). */
    public Consumer<WebClient.Builder> webClient(String name) {
        TokenExchangeFilter filter = filter(name);
        return builder -> builder.filter(filter);
    }

    @Override
    public String toString() {
        return "TokenkeeperWebClients" + tokenkeeper.config().clients().keySet();
    }
}
