package dev.tokenkeeper.integration.spring.boot;

import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenKey;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
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
 *
 * <h2>A token the resource server rejects</h2>
 * Spring's interceptor and filter report a 401 to their {@code OAuth2AuthorizationFailureHandler},
 * whose usual form ({@code RemoveAuthorizedClientOAuth2AuthorizationFailureHandler}, made by
 * {@code OAuth2ClientHttpRequestInterceptor.authorizationFailureHandler(...)}) removes the authorized
 * client from the application's {@code OAuth2AuthorizedClientService} or
 * {@code OAuth2AuthorizedClientRepository}. The starter's service and repository
 * ({@link TokenkeeperAuthorizedClientService}, {@link TokenkeeperAuthorizedClientRepository}) turn
 * that removal into {@link #rejected(String)}: the token is invalidated in tokenkeeper <em>only if it
 * is still the current one</em>, so that 32 concurrent rejections of one token cause one token
 * request, and the next {@code authorize} gets a fresh token.
 *
 * <p>Spring's removal names the registration and the principal, not the token. The rejected token
 * is therefore the one this manager handed out on the calling thread, which is exact for the
 * servlet interceptor ({@code OAuth2ClientHttpRequestInterceptor}: authorize, send and report on one
 * thread). A removal on a thread that authorized nothing for the registration (a reactive filter
 * reporting on an event loop) falls back to the token handed out last for it, still only if it is
 * current: at worst a token handed out after the rejected one is dropped too, which costs one more
 * token request, never a wrong answer.
 *
 * <p>Thread-safe.
 */
public final class TokenkeeperAuthorizedClientManager implements OAuth2AuthorizedClientManager {

    private final Tokenkeeper tokenkeeper;
    private final ObjectProvider<ClientRegistrationRepository> registrations;
    /** The token handed out last on each thread, per registration id: what a removal on that thread rejects. */
    private final ThreadLocal<Map<String, AccessToken>> handedOutHere = ThreadLocal.withInitial(HashMap::new);
    /** The token handed out last on any thread, per registration id: the fallback for a removal elsewhere. */
    private final Map<String, AccessToken> handedOutLast = new ConcurrentHashMap<>();

    TokenkeeperAuthorizedClientManager(Tokenkeeper tokenkeeper, ObjectProvider<ClientRegistrationRepository> registrations) {
        this.tokenkeeper = Objects.requireNonNull(tokenkeeper, "tokenkeeper");
        this.registrations = Objects.requireNonNull(registrations, "registrations");
    }

    @Override
    public OAuth2AuthorizedClient authorize(OAuth2AuthorizeRequest request) {
        Objects.requireNonNull(request, "request");
        String id = request.getClientRegistrationId();
        if (!serves(id)) {
            return null;
        }
        ClientRegistrationRepository repository = registrations.getIfAvailable();
        ClientRegistration registration = repository == null ? null : repository.findByRegistrationId(id);
        if (registration == null) {
            return null;
        }
        return handOut(registration, request.getPrincipal().getName());
    }

    /**
     * The authorized client of a tokenkeeper registration: tokenkeeper's token for it (getting one
     * if none is at hand), remembered as handed out so that a removal on this thread rejects it.
     */
    OAuth2AuthorizedClient handOut(ClientRegistration registration, String principalName) {
        String id = registration.getRegistrationId();
        AccessToken token = tokenkeeper.provider().token(tokenkeeper.key(id));
        handedOutHere.get().put(id, token);
        handedOutLast.put(id, token);
        return new OAuth2AuthorizedClient(registration, principalName, accessToken(token));
    }

    /** Whether {@code registrationId} is a tokenkeeper client, whose tokens this manager hands out. */
    boolean serves(String registrationId) {
        return registrationId != null && tokenkeeper.config().clients().containsKey(registrationId);
    }

    /**
     * Reports that a resource server rejected the token of {@code registrationId} handed out to the
     * calling thread (or, if it was handed none, the one handed out last): tokenkeeper drops it if it
     * is still the current token, so that the next {@link #authorize} gets a fresh one. Never fails.
     *
     * @return whether a current token was dropped
     */
    boolean rejected(String registrationId) {
        if (!serves(registrationId)) {
            return false;
        }
        AccessToken rejected = handedOutHere.get().remove(registrationId);
        if (rejected == null) {
            rejected = handedOutLast.get(registrationId);
        }
        if (rejected == null) {
            return false; // nothing was handed out: there is no token to reject
        }
        try {
            return tokenkeeper.provider().invalidate(tokenkeeper.key(registrationId), rejected);
        } catch (RuntimeException e) {
            return false; // a failed invalidation costs a rejected call later, never this caller's answer
        }
    }

    static OAuth2AccessToken accessToken(AccessToken token) {
        return new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, token.value().reveal(), token.issuedAt(),
                token.expiresAt(), token.scopes());
    }

    @Override
    public String toString() {
        return "TokenkeeperAuthorizedClientManager" + tokenkeeper.config().clients().keySet();
    }
}
