package dev.tokenkeeper.integration.spring.boot;

import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenKey;
import java.util.Objects;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.security.oauth2.client.OAuth2AuthorizeRequest;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClientManager;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.ClientRegistrationRepository;
import org.springframework.security.oauth2.core.OAuth2AccessToken;

/**
 * Spring Security's {@link OAuth2AuthorizedClientManager} backed by tokenkeeper, for applications
 * that already call APIs through Spring Security's OAuth2 client
 * ({@code OAuth2ClientHttpRequestInterceptor}, {@code ServletOAuth2AuthorizedClientExchangeFilterFunction}):
 * with this bean their client-credentials registrations get their tokens from tokenkeeper's shared,
 * sealed, cluster-wide cache (single flight: one token request however many callers), without a
 * change to the call sites. Each {@code spring.security.oauth2.client.registration.<id>} with
 * {@code authorization-grant-type=client_credentials} is the tokenkeeper client {@code <id>}.
 *
 * <p>A registration of another grant type, or one that is not a tokenkeeper client, is not
 * authorized here ({@code null}, as Spring's manager answers when it cannot authorize). The
 * principal is not part of the key: a client-credentials token belongs to the client.
 * Thread-safe.
 */
public final class TokenkeeperAuthorizedClientManager implements OAuth2AuthorizedClientManager {

    private final Tokenkeeper tokenkeeper;
    private final ObjectProvider<ClientRegistrationRepository> registrations;

    TokenkeeperAuthorizedClientManager(Tokenkeeper tokenkeeper, ObjectProvider<ClientRegistrationRepository> registrations) {
        this.tokenkeeper = Objects.requireNonNull(tokenkeeper, "tokenkeeper");
        this.registrations = Objects.requireNonNull(registrations, "registrations");
    }

    @Override
    public OAuth2AuthorizedClient authorize(OAuth2AuthorizeRequest request) {
        Objects.requireNonNull(request, "request");
        String id = request.getClientRegistrationId();
        if (!tokenkeeper.config().clients().containsKey(id)) {
            return null;
        }
        ClientRegistrationRepository repository = registrations.getIfAvailable();
        ClientRegistration registration = repository == null ? null : repository.findByRegistrationId(id);
        if (registration == null) {
            return null;
        }
        TokenKey key = tokenkeeper.key(id);
        AccessToken token = tokenkeeper.provider().token(key);
        OAuth2AccessToken accessToken = new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER,
                token.value().reveal(), token.issuedAt(), token.expiresAt(), token.scopes());
        return new OAuth2AuthorizedClient(registration, request.getPrincipal().getName(), accessToken);
    }

    @Override
    public String toString() {
        return "TokenkeeperAuthorizedClientManager" + tokenkeeper.config().clients().keySet();
    }
}
