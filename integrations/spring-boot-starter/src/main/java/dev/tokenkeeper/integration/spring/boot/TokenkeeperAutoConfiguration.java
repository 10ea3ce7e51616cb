package dev.tokenkeeper.integration.spring.boot;

import dev.tokenkeeper.bootstrap.LoggingEventListener;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.bootstrap.metrics.TokenMetrics;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEventListener;
import dev.tokenkeeper.domain.api.TokenProvider;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.webclient.WebClientCustomizer;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.env.Environment;

/**
 * Assembles tokenkeeper from {@code tokenkeeper.*} properties (and Spring Security's
 * client-credentials registrations) through the bootstrap's one entry point, {@link Tokenkeeper},
 * and the one settings parser behind it. Beans: {@link Tokenkeeper} (closed with the context, after
 * the web server has drained: graceful shutdown), {@link TokenProvider}, {@link TokenkeeperClients}
 * (RestClient/WebClient per client name); with Actuator a {@code tokenkeeper} health indicator;
 * with a {@link MeterRegistry} the {@code tokenkeeper.*} meters bound to it. Spring Security's
 * OAuth2 client is served by {@link TokenkeeperOAuth2ClientAutoConfiguration}.
 *
 * <p>Active when at least one client is configured ({@code tokenkeeper.clients.<name>.token-url} or a
 * client-credentials registration). An application that defines its own {@link Tokenkeeper} bean
 * keeps it.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
        "org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration"},
        beforeName = {
        "org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration",
        "org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration"})
@ConditionalOnClass(Tokenkeeper.class)
public class TokenkeeperAutoConfiguration {

    /** The {@code client} tag values: the configured client names. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @Conditional(ClientsConfigured.class)
    public Tokenkeeper tokenkeeper(Environment environment, ObjectProvider<MeterRegistry> registry,
            ObjectProvider<TokenEventListener> listeners) {
        TokenkeeperConfig config = TokenkeeperConfig.from(TokenkeeperSettings.from(environment));
        TokenEventListener listener = new LoggingEventListener();
        for (TokenEventListener l : listeners.orderedStream().toList()) {
            listener = listener.andThen(l);
        }
        MeterRegistry meters = registry.getIfAvailable();
        TokenMetrics metrics = meters == null ? null : new TokenMetrics(meters, config.clients().keySet());
        if (metrics != null) {
            listener = listener.andThen(metrics);
        }
        Tokenkeeper tk = Tokenkeeper.builder(config).listener(listener).recordHits(metrics != null).start();
        if (metrics != null) {
            Map<String, TokenKey> keys = new LinkedHashMap<>();
            config.clientList().forEach(c -> keys.put(c.name(), c.key()));
            metrics.bind(tk.manager(), keys, InstantSource.system());
        }
        return tk;
    }

    @Bean
    @ConditionalOnBean(Tokenkeeper.class)
    @ConditionalOnMissingBean(TokenProvider.class)
    public TokenProvider tokenkeeperTokenProvider(Tokenkeeper tokenkeeper) {
        return tokenkeeper.provider();
    }

    @Bean
    @ConditionalOnBean(Tokenkeeper.class)
    @ConditionalOnMissingBean
    @ConditionalOnClass(name = "org.springframework.http.client.ClientHttpRequestInterceptor")
    public TokenkeeperClients tokenkeeperClients(Tokenkeeper tokenkeeper) {
        return new TokenkeeperClients(tokenkeeper);
    }

    @Configuration(proxyBeanMethods = false)
    @Conditional(ClientsConfigured.class) // member classes are read before the outer beans: no @ConditionalOnBean(Tokenkeeper)
    @ConditionalOnClass(name = "org.springframework.web.reactive.function.client.WebClient")
    static class WebClients {
        @Bean
        @ConditionalOnMissingBean
        TokenkeeperWebClients tokenkeeperWebClients(Tokenkeeper tokenkeeper) {
            return new TokenkeeperWebClients(tokenkeeper);
        }
    }

    /** {@code tokenkeeper.spring.default-client}: every Boot-built {@code RestClient.Builder} gets that client's tokens. */
    @Configuration(proxyBeanMethods = false)
    @Conditional(ClientsConfigured.class) // member classes are read before the outer beans: no @ConditionalOnBean(Tokenkeeper)
    @ConditionalOnClass(RestClientCustomizer.class)
    @ConditionalOnProperty("tokenkeeper.spring.default-client")
    static class DefaultRestClient {
        @Bean
        RestClientCustomizer tokenkeeperRestClientCustomizer(TokenkeeperClients clients, Environment environment) {
            String name = environment.getRequiredProperty("tokenkeeper.spring.default-client");
            return builder -> clients.restClient(name).accept(builder);
        }
    }

    /** {@code tokenkeeper.spring.default-client}: every Boot-built {@code WebClient.Builder} gets that client's tokens. */
    @Configuration(proxyBeanMethods = false)
    @Conditional(ClientsConfigured.class) // member classes are read before the outer beans: no @ConditionalOnBean(Tokenkeeper)
    @ConditionalOnClass({WebClientCustomizer.class, TokenkeeperWebClients.class})
    @ConditionalOnProperty("tokenkeeper.spring.default-client")
    static class DefaultWebClient {
        @Bean
        WebClientCustomizer tokenkeeperWebClientCustomizer(TokenkeeperWebClients clients, Environment environment) {
            String name = environment.getRequiredProperty("tokenkeeper.spring.default-client");
            return builder -> clients.webClient(name).accept(builder);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @Conditional(ClientsConfigured.class) // member classes are read before the outer beans: no @ConditionalOnBean(Tokenkeeper)
    @ConditionalOnClass(HealthIndicator.class)
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "tokenkeeperHealthIndicator")
        TokenkeeperHealthIndicator tokenkeeperHealthIndicator(Tokenkeeper tokenkeeper) {
            return new TokenkeeperHealthIndicator(tokenkeeper);
        }

        /** Readiness turns DOWN as soon as shutdown begins, before the web server drains. */
        @Bean
        @ConditionalOnBean(TokenkeeperHealthIndicator.class)
        ApplicationListener<ContextClosedEvent> tokenkeeperStopping(TokenkeeperHealthIndicator indicator) {
            return event -> indicator.stopping();
        }
    }
}
