package dev.tokenkeeper.integration.spring.boot;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Objects;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.web.AuthenticatedPrincipalOAuth2AuthorizedClientRepository;
import org.springframework.security.oauth2.client.web.OAuth2AuthorizedClientRepository;

/**
 * The application's {@link OAuth2AuthorizedClientRepository} when tokenkeeper serves its
 * client-credentials registrations: for a tokenkeeper registration, whatever the principal (an
 * anonymous one included, whose clients Spring would otherwise keep in the HTTP session), removing
 * the authorized client, which is what Spring's {@code RemoveAuthorizedClientOAuth2AuthorizationFailureHandler}
 * does when a resource server answers 401, invalidates the rejected token in tokenkeeper only if it
 * is still the current one (see {@link TokenkeeperAuthorizedClientManager}); loading gives
 * tokenkeeper's token. Every other registration is handled as Spring Boot's default repository
 * does ({@link AuthenticatedPrincipalOAuth2AuthorizedClientRepository} over the application's
 * {@link OAuth2AuthorizedClientService}). Thread-safe.
 */
final class TokenkeeperAuthorizedClientRepository implements OAuth2AuthorizedClientRepository {

    private final ObjectProvider<OAuth2AuthorizedClientManager> managers;
    private final OAuth2AuthorizedClientService service;
    private final OAuth2AuthorizedClientRepository others;

    TokenkeeperAuthorizedClientRepository(ObjectProvider<OAuth2AuthorizedClientManager> managers,
            OAuth2AuthorizedClientService service) {
        this.managers = Objects.requireNonNull(managers, "managers");
        this.service = Objects.requireNonNull(service, "service");
        this.others = new AuthenticatedPrincipalOAuth2AuthorizedClientRepository(service);
    }

    private boolean served(String registrationId) {
        return managers.getIfAvailable() instanceof TokenkeeperAuthorizedClientManager tk && tk.serves(registrationId);
    }

    @Override
    public <T extends OAuth2AuthorizedClient> T loadAuthorizedClient(String clientRegistrationId, Authentication principal,
            HttpServletRequest request) {
        if (served(clientRegistrationId)) {
            return service.loadAuthorizedClient(clientRegistrationId, principal == null ? "anonymousUser" : principal.getName());
        }
        return others.loadAuthorizedClient(clientRegistrationId, principal, request);
    }

    @Override
    public void saveAuthorizedClient(OAuth2AuthorizedClient authorizedClient, Authentication principal,
            HttpServletRequest request, HttpServletResponse response) {
        if (!served(authorizedClient.getClientRegistration().getRegistrationId())) {
            others.saveAuthorizedClient(authorizedClient, principal, request, response);
        }
    }

    @Override
    public void removeAuthorizedClient(String clientRegistrationId, Authentication principal, HttpServletRequest request,
            HttpServletResponse response) {
        if (served(clientRegistrationId) && managers.getIfAvailable() instanceof TokenkeeperAuthorizedClientManager tk) {
            tk.rejected(clientRegistrationId);
        } else {
            others.removeAuthorizedClient(clientRegistrationId, principal, request, response);
        }
    }

    @Override
    public String toString() {
        return "TokenkeeperAuthorizedClientRepository";
    }
}
