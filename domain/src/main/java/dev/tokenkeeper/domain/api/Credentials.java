package dev.tokenkeeper.domain.api;

import dev.tokenkeeper.domain.AccessToken;
import java.util.Map;
import java.util.Objects;

/**
 * What one HTTP request carries to prove it may call a resource server: the {@code Authorization}
 * header value built from an access token ({@code Bearer <token>}), and any further headers the
 * token's type needs for this request (none for Bearer; a DPoP-bound token will add its
 * {@code DPoP} proof here, which is why credentials are made per request, for a method and URI, by
 * {@link AuthenticatedRequests#credentials}).
 *
 * <p>Code with its own HTTP client writes {@link #headers()} onto its request; it never assembles
 * the header from the token itself. {@link #toString()} never shows the token. Immutable and
 * thread-safe.
 */
public final class Credentials {

    /** The header that carries the token. */
    public static final String AUTHORIZATION = "Authorization";

    private final AccessToken token;
    private final String authorization;
    private final Map<String, String> headers;

    private Credentials(AccessToken token) {
        this.token = token;
        this.authorization = token.authorizationValue();
        this.headers = Map.of(AUTHORIZATION, authorization);
    }

    /**
     * The credentials of a Bearer token (RFC 6750).
     *
     * @throws IllegalArgumentException if the token's value holds a line break (it would split the header)
     */
    public static Credentials bearer(AccessToken token) {
        Objects.requireNonNull(token, "token");
        return new Credentials(token);
    }

    /** The token these credentials carry; the resource server's verdict on it is reported with it. */
    public AccessToken token() {
        return token;
    }

    /** The {@code Authorization} header value, e.g. {@code Bearer eyJ…}. Send it; never log it. */
    public String authorization() {
        return authorization;
    }

    /** Every header to set on the request, the {@code Authorization} header included. Send them; never log them. */
    public Map<String, String> headers() {
        return headers;
    }

    /** Whether a request's {@code Authorization} header value is the one these credentials set. */
    public boolean sentAs(String authorizationHeaderValue) {
        return authorization.equals(authorizationHeaderValue);
    }

    @Override
    public String toString() {
        return "Credentials[" + token.tokenType() + ", headers=" + headers.keySet() + ", values=[redacted]]";
    }
}
