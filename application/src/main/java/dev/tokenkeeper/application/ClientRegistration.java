package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.spi.TokenEndpoint;
import java.util.Objects;

/**
 * One client of one identity provider, as the manager knows it: a name (the
 * {@link dev.tokenkeeper.domain.TokenKey#client()} of its keys), the endpoint that runs its grants,
 * and its primary grant: client credentials, or a re-authentication grant such as
 * {@link Grant.Password} for clients that log in with stored credentials. The refresh-token grant
 * is used on top of it whenever a token carries a refresh token.
 *
 * <p>The {@code identity} is what tells this client's tokens apart from those of another client that
 * happens to share its name in a persistent or shared store: bootstrap uses the token URL and the
 * client id. It goes only into the digest that names the store entry, never into the store in clear.
 * Change it and old entries are simply not found. The endpoint's {@link TokenEndpoint#tokenBinding()
 * token binding} (a DPoP key's thumbprint) is added to it by {@link #storeIdentity()}, so that
 * clients that differ only by their DPoP key never share a stored token.
 *
 * @param name the registration name
 * @param endpoint the token endpoint
 * @param primaryGrant the grant that obtains a token without a refresh token
 * @param identity what distinguishes this client beyond its name (e.g. token URL and client id); may be empty
 */
public record ClientRegistration(String name, TokenEndpoint endpoint, Grant primaryGrant, String identity) {

    public ClientRegistration {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(primaryGrant, "primaryGrant");
        Objects.requireNonNull(identity, "identity");
        if (name.isBlank()) {
            throw new ConfigurationException("client name must not be blank");
        }
    }

    /** A registration without an identity: its store entries are named by the key alone. */
    public ClientRegistration(String name, TokenEndpoint endpoint, Grant primaryGrant) {
        this(name, endpoint, primaryGrant, "");
    }

    /**
     * What names this client's entries in a store: the {@code identity}, and the endpoint's token
     * binding if it has one (nothing is added for bearer tokens, so their store keys are as before).
     */
    public String storeIdentity() {
        String binding = endpoint.tokenBinding();
        return binding == null || binding.isEmpty() ? identity : identity + " dpop-jkt=" + binding;
    }

    /** This registration with {@code identity}. */
    public ClientRegistration withIdentity(String identity) {
        return new ClientRegistration(name, endpoint, primaryGrant, identity);
    }

    /** A client-credentials registration. */
    public static ClientRegistration clientCredentials(String name, TokenEndpoint endpoint) {
        return new ClientRegistration(name, endpoint, Grant.ClientCredentials.INSTANCE);
    }
}
