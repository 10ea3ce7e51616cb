package dev.tokenkeeper.domain.spi;

import dev.tokenkeeper.domain.Secret;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * An OAuth 2.0 authorization grant. A grant writes its own form parameters, revealing its secrets
 * only into the request body; its {@code toString} shows none.
 *
 * <p>The ready grants are {@link ClientCredentials}, {@link RefreshToken} and {@link Password};
 * a re-authentication grant of another kind implements this interface. Implementations are
 * immutable.
 */
public interface Grant {

    /** The {@code grant_type} value. */
    String grantType();

    /**
     * Writes this grant's form parameters, {@code grant_type} included, but not the scope,
     * audience or resource (the endpoint adds those from the key) nor client authentication.
     */
    void writeParameters(BiConsumer<String, String> form);

    /** The client-credentials grant (RFC 6749 §4.4). */
    enum ClientCredentials implements Grant {
        /** The one instance. */
        INSTANCE;

        @Override
        public String grantType() {
            return "client_credentials";
        }

        @Override
        public void writeParameters(BiConsumer<String, String> form) {
            form.accept("grant_type", grantType());
        }
    }

    /**
     * The refresh-token grant (RFC 6749 §6).
     *
     * @param refreshToken the refresh token
     */
    record RefreshToken(Secret refreshToken) implements Grant {
        public RefreshToken {
            Objects.requireNonNull(refreshToken, "refreshToken");
        }

        @Override
        public String grantType() {
            return "refresh_token";
        }

        @Override
        public void writeParameters(BiConsumer<String, String> form) {
            form.accept("grant_type", grantType());
            form.accept("refresh_token", refreshToken.reveal());
        }
    }

    /**
     * The resource-owner password grant (RFC 6749 §4.3), for clients that log in again with stored
     * credentials when their refresh token is gone.
     *
     * @param username the resource owner's name
     * @param password the resource owner's password
     */
    record Password(String username, Secret password) implements Grant {
        public Password {
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(password, "password");
        }

        @Override
        public String grantType() {
            return "password";
        }

        @Override
        public void writeParameters(BiConsumer<String, String> form) {
            form.accept("grant_type", grantType());
            form.accept("username", username);
            form.accept("password", password.reveal());
        }
    }
}
