package dev.tokenkeeper.example.spring;

import dev.tokenkeeper.integration.spring.boot.TokenkeeperClients;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;

/**
 * A Spring Boot service that calls a protected API without ever touching a token: the starter
 * reads {@code tokenkeeper.*} from {@code application.properties}, and the {@code orders}
 * RestClient gets the {@code orders} client's tokens. Run it with the API and IdP given as
 * properties, e.g. {@code --orders.api=https://orders.example --tokenkeeper.clients.orders.token-url=…}.
 */
@SpringBootApplication
public class OrdersApplication {

    public static void main(String[] args) {
        SpringApplication.run(OrdersApplication.class, args);
    }

    /** The downstream API's client: tokens, refresh, one replay on a revoked token, all by tokenkeeper. */
    @Bean
    RestClient orders(RestClient.Builder builder, TokenkeeperClients tokenkeeper, @Value("${orders.api}") String api) {
        return builder.apply(tokenkeeper.restClient("orders")).baseUrl(api).build();
    }

    @RestController
    static class Summary {
        private final RestClient orders;

        Summary(RestClient orders) {
            this.orders = orders;
        }

        /** Business code: one call, no token in sight. */
        @GetMapping("/summary")
        String summary() {
            return "orders say: " + orders.get().uri("/api/orders").retrieve().body(String.class);
        }
    }
}
