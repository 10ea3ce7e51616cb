package dev.tokenkeeper.domain.spi;

import dev.tokenkeeper.domain.Secret;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * An OAuth 2.0 authorization grant. A grant writes its own form parameters, revealing its secrets
 * only into the request body; its {@code toString} shows none.
 *
 * <p>The ready grants are {@link ClientCredentials}, {@link RefreshToken}, {@link Password},
 * {@link TokenExchange} (RFC 8693) and {@link JwtBearer} (RFC 7523 §2.1); a grant of another kind
 * implements this interface. Implementations are immutable; a grant whose credential comes from a
 * {@link Supplier} (a token file that rotates) asks it once per request.
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

    /**
     * The token-exchange grant (RFC 8693 §2.1): trades a subject token (and optionally an actor
     * token) for a token of this client. The audience and resource come from the request's key, as
     * for every grant. The tokens are asked for on every request, so a subject token kept in a file
     * that rotates (a Kubernetes projected service-account token) is sent as it is now.
     *
     * @param subjectToken the subject token, asked for on every request
     * @param subjectTokenType its type URI, e.g. {@link #JWT} or {@link #ACCESS_TOKEN}
     * @param actorToken the actor token, or null
     * @param actorTokenType the actor token's type URI; required with an actor token, else null
     * @param requestedTokenType the {@code requested_token_type}, or null to let the server choose
     */
    record TokenExchange(Supplier<Secret> subjectToken, String subjectTokenType, Supplier<Secret> actorToken,
            String actorTokenType, String requestedTokenType) implements Grant {

        /** {@code grant_type} of RFC 8693. */
        public static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";
        /** RFC 8693 §3: an OAuth 2.0 access token. */
        public static final String ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token";
        /** RFC 8693 §3: a JWT (e.g. a Kubernetes service-account token). */
        public static final String JWT = "urn:ietf:params:oauth:token-type:jwt";
        /** RFC 8693 §3: an OpenID Connect ID token. */
        public static final String ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token";

        public TokenExchange {
            Objects.requireNonNull(subjectToken, "subjectToken");
            requireUri(subjectTokenType, "subjectTokenType");
            if ((actorToken == null) != (actorTokenType == null)) {
                throw new IllegalArgumentException("actorToken and actorTokenType go together (RFC 8693 §2.1)");
            }
            if (actorTokenType != null) {
                requireUri(actorTokenType, "actorTokenType");
            }
            if (requestedTokenType != null) {
                requireUri(requestedTokenType, "requestedTokenType");
            }
        }

        /** An exchange of {@code subjectToken} of type {@code subjectTokenType}, no actor, the server's choice of type. */
        public static TokenExchange of(Supplier<Secret> subjectToken, String subjectTokenType) {
            return new TokenExchange(subjectToken, subjectTokenType, null, null, null);
        }

        @Override
        public String grantType() {
            return GRANT_TYPE;
        }

        @Override
        public void writeParameters(BiConsumer<String, String> form) {
            form.accept("grant_type", GRANT_TYPE);
            form.accept("subject_token", supplied(subjectToken, "subject token").reveal());
            form.accept("subject_token_type", subjectTokenType);
            if (actorToken != null) {
                form.accept("actor_token", supplied(actorToken, "actor token").reveal());
                form.accept("actor_token_type", actorTokenType);
            }
            if (requestedTokenType != null) {
                form.accept("requested_token_type", requestedTokenType);
            }
        }

        @Override
        public String toString() {
            return "TokenExchange[subjectTokenType=" + subjectTokenType
                    + (actorTokenType == null ? "" : ", actorTokenType=" + actorTokenType)
                    + (requestedTokenType == null ? "" : ", requestedTokenType=" + requestedTokenType) + "]";
        }
    }

    /**
     * The JWT-bearer authorization grant (RFC 7523 §2.1): a JWT issued by someone the server trusts
     * (workload identity federation: a platform's token in a file) is the grant. The assertion is
     * asked for on every request, so a file that rotates is sent as it is now.
     *
     * @param assertion the signed JWT, asked for on every request
     */
    record JwtBearer(Supplier<Secret> assertion) implements Grant {

        /** {@code grant_type} of RFC 7523. */
        public static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";

        public JwtBearer {
            Objects.requireNonNull(assertion, "assertion");
        }

        @Override
        public String grantType() {
            return GRANT_TYPE;
        }

        @Override
        public void writeParameters(BiConsumer<String, String> form) {
            form.accept("grant_type", GRANT_TYPE);
            form.accept("assertion", supplied(assertion, "assertion").reveal());
        }

        @Override
        public String toString() {
            return "JwtBearer[assertion=Secret[redacted]]";
        }
    }

    private static Secret supplied(Supplier<Secret> source, String what) {
        Secret s = source.get();
        if (s == null) {
            throw new IllegalStateException("the " + what + " source gave no value");
        }
        return s;
    }

    private static void requireUri(String value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isBlank() || value.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException(name + " must be a URI without white space, was '" + value + "'");
        }
    }
}
