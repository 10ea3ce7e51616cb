package dev.tokenkeeper.integration.spring.boot;

import dev.tokenkeeper.bootstrap.Tokenkeeper;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.client.web.OAuth2AuthorizedClientRepository;

/**
 * Spring Security's OAuth2 client served by tokenkeeper: an {@link OAuth2AuthorizedClientManager}
 * that hands out tokenkeeper's tokens for the client-credentials registrations
 * ({@code spring.security.oauth2.client.registration.*}), and the {@link OAuth2AuthorizedClientService}
 * and (in a servlet web application) {@link OAuth2AuthorizedClientRepository} through which Spring's
 * 401 handling reaches tokenkeeper: removing a tokenkeeper registration's authorized client
 * invalidates the rejected token, only if it is still current.
 *
 * <p>Ordered before Spring Boot's OAuth2 client configurations so that its default service and
 * repository (both {@code @ConditionalOnMissingBean}) give way; an application that defines its own
 * keeps them, and then Spring's removals do not reach tokenkeeper. Off with
 * {@code tokenkeeper.spring.oauth2-client-registrations=false}.
 */
@AutoConfiguration(beforeName = {
        "org.springframework.boot.security.oauth2.client.autoconfigure.OAuth2ClientAutoConfiguration",
        "org.springframework.boot.security.oauth2.client.autoconfigure.servlet.OAuth2ClientWebSecurityAutoConfiguration"})
@ConditionalOnClass({Tokenkeeper.class, OAuth2AuthorizedClientManager.class, ClientRegistrationRepository.class})
@ConditionalOnProperty(name = "tokenkeeper.spring.oauth2-client-registrations", matchIfMissing = true)
@Conditional(TokenkeeperOAuth2ClientAutoConfiguration.RegistrationsConfigured.class)
public class TokenkeeperOAuth2ClientAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(OAuth2AuthorizedClientManager.class)
    OAuth2AuthorizedClientManager tokenkeeperAuthorizedClientManager(Tokenkeeper tokenkeeper,
            ObjectProvider<ClientRegistrationRepository> registrations) {
        return new TokenkeeperAuthorizedClientManager(tokenkeeper, registrations);
    }

    @Bean
    @ConditionalOnMissingBean(OAuth2AuthorizedClientService.class)
    OAuth2AuthorizedClientService tokenkeeperAuthorizedClientService(ObjectProvider<OAuth2AuthorizedClientManager> managers,
            ClientRegistrationRepository registrations) {
        return new TokenkeeperAuthorizedClientService(managers, registrations);
    }

    @Configuration(proxyBeanMethods = false)
    // member classes are read before the outer class's conditions apply to them: the same conditions again
    @ConditionalOnProperty(name = "tokenkeeper.spring.oauth2-client-registrations", matchIfMissing = true)
    @Conditional(TokenkeeperOAuth2ClientAutoConfiguration.RegistrationsConfigured.class)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass(name = {"jakarta.servlet.http.HttpServletRequest",
            "org.springframework.security.oauth2.client.web.OAuth2AuthorizedClientRepository"})
    static class Servlet {
        @Bean
        @ConditionalOnMissingBean(OAuth2AuthorizedClientRepository.class)
        OAuth2AuthorizedClientRepository tokenkeeperAuthorizedClientRepository(
                ObjectProvider<OAuth2AuthorizedClientManager> managers, OAuth2AuthorizedClientService service) {
            return new TokenkeeperAuthorizedClientRepository(managers, service);
        }
    }

    /**
     * Whether a client-credentials registration is configured: then Spring Boot also makes the
     * {@link ClientRegistrationRepository} these beans need.
     */
    static final class RegistrationsConfigured implements org.springframework.context.annotation.Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return !TokenkeeperSettings.fromRegistrations(context.getEnvironment()).isEmpty();
        }
    }
}
