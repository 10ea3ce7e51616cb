package dev.tokenkeeper.domain.spi;

import dev.tokenkeeper.domain.TokenKey;
import java.util.Objects;

/**
 * One token request: the grant to run, for the scopes, audience and resource of {@code key}.
 *
 * @param key what the token is for
 * @param grant how to obtain it
 */
public record TokenRequest(TokenKey key, Grant grant) {
    public TokenRequest {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(grant, "grant");
    }
}
