package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.port.Grant;
import dev.tokenkeeper.domain.port.TokenEndpoint;
import java.util.Objects;

/**
 * One client of one identity provider, as the manager knows it: a name (the
 * {@link dev.tokenkeeper.domain.TokenKey#client()} of its keys), the endpoint that runs its grants,
 * and its primary grant: client credentials, or a re-authentication grant such as
 * {@link Grant.Password} for clients that log in with stored credentials. The refresh-token grant
 * is used on top of it whenever a token carries a refresh token.
 *
 * @param name the registration name
 * @param endpoint the token endpoint
 * @param primaryGrant the grant that obtains a token without a refresh token
 */
public record ClientRegistration(String name, TokenEndpoint endpoint, Grant primaryGrant) {

    public ClientRegistration {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(primaryGrant, "primaryGrant");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
    }

    /** A client-credentials registration. */
    public static ClientRegistration clientCredentials(String name, TokenEndpoint endpoint) {
        return new ClientRegistration(name, endpoint, Grant.ClientCredentials.INSTANCE);
    }
}
