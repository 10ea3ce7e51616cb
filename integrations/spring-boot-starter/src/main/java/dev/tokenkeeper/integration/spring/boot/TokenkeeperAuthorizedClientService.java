package dev.tokenkeeper.integration.spring.boot;

import java.util.Objects;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.client.InMemoryOAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientService;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;

/**
 * The application's {@link OAuth2AuthorizedClientService} when tokenkeeper serves its
 * client-credentials registrations: for a tokenkeeper registration, tokenkeeper is the store
 * (loading gives its token, saving is not needed, and removing, which is what Spring's
 * {@code RemoveAuthorizedClientOAuth2AuthorizationFailureHandler} does when a resource server
 * answers 401, invalidates the rejected token in tokenkeeper only if it is still the current one,
 * see {@link TokenkeeperAuthorizedClientManager}); every other registration is kept in memory, as
 * Spring Boot's default service does.
 *
 * <p>If the application's {@link OAuth2AuthorizedClientManager} is not tokenkeeper's, tokenkeeper
 * does not hand out these tokens and every registration is kept in memory. Thread-safe.
 */
final class TokenkeeperAuthorizedClientService implements OAuth2AuthorizedClientService {

    private final ObjectProvider<OAuth2AuthorizedClientManager> managers;
    private final ClientRegistrationRepository registrations;
    private final OAuth2AuthorizedClientService others;

    TokenkeeperAuthorizedClientService(ObjectProvider<OAuth2AuthorizedClientManager> managers,
            ClientRegistrationRepository registrations) {
        this.managers = Objects.requireNonNull(managers, "managers");
        this.registrations = Objects.requireNonNull(registrations, "registrations");
        this.others = new InMemoryOAuth2AuthorizedClientService(registrations);
    }

    /** Tokenkeeper's manager if it serves {@code registrationId}, else null. */
    private TokenkeeperAuthorizedClientManager servedBy(String registrationId) {
        return managers.getIfAvailable() instanceof TokenkeeperAuthorizedClientManager tk && tk.serves(registrationId)
                ? tk : null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends OAuth2AuthorizedClient> T loadAuthorizedClient(String clientRegistrationId, String principalName) {
        TokenkeeperAuthorizedClientManager tk = servedBy(clientRegistrationId);
        if (tk == null) {
            return others.loadAuthorizedClient(clientRegistrationId, principalName);
        }
        ClientRegistration registration = registrations.findByRegistrationId(clientRegistrationId);
        return registration == null ? null : (T) tk.handOut(registration, principalName);
    }

    @Override
    public void saveAuthorizedClient(OAuth2AuthorizedClient authorizedClient, Authentication principal) {
        if (servedBy(authorizedClient.getClientRegistration().getRegistrationId()) == null) {
            others.saveAuthorizedClient(authorizedClient, principal);
        }
    }

    @Override
    public void removeAuthorizedClient(String clientRegistrationId, String principalName) {
        TokenkeeperAuthorizedClientManager tk = servedBy(clientRegistrationId);
        if (tk == null) {
            others.removeAuthorizedClient(clientRegistrationId, principalName);
        } else {
            tk.rejected(clientRegistrationId);
        }
    }

    @Override
    public String toString() {
        return "TokenkeeperAuthorizedClientService";
    }
}
