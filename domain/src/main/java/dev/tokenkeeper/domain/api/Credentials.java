package dev.tokenkeeper.domain.api;

import dev.tokenkeeper.domain.AccessToken;
import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * What one HTTP request carries to prove it may call a resource server: the {@code Authorization}
 * header value built from an access token ({@code Bearer <token>}, or {@code DPoP <token>} for a
 * DPoP-bound token), and any further headers the token's type needs for this request (none for
 * Bearer; the {@code DPoP} proof for a DPoP-bound token, which is why credentials are made per
 * request, for a method and URI, by {@link AuthenticatedRequests#credentials}).
 *
 * <p>Code with its own HTTP client writes {@link #headers()} onto its request; it never assembles
 * the header from the token itself. A client that follows a redirect within the addressed origin
 * sends {@link #at} that hop's method and URI (a DPoP proof names them). {@link #toString()} never
 * shows the token or the proof. Immutable and thread-safe.
 */
public final class Credentials {

    /** The header that carries the token. */
    public static final String AUTHORIZATION = "Authorization";

    private final AccessToken token;
    private final String authorization;
    private final Map<String, String> headers;
    /** Makes these credentials for another hop (a new proof), or null when they are the same on every hop. */
    private final BiFunction<String, URI, Credentials> hops;

    private Credentials(AccessToken token, Map<String, String> proofHeaders, BiFunction<String, URI, Credentials> hops) {
        this.token = token;
        this.authorization = token.authorizationValue();
        Map<String, String> all = new LinkedHashMap<>();
        all.put(AUTHORIZATION, authorization);
        proofHeaders.forEach((name, value) -> {
            if (name.equalsIgnoreCase(AUTHORIZATION) || value == null || value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("a proof header must not replace Authorization nor hold a line break: " + name);
            }
            all.put(name, value);
        });
        this.headers = Collections.unmodifiableMap(all);
        this.hops = hops;
    }

    /**
     * The credentials of a Bearer token (RFC 6750).
     *
     * @throws IllegalArgumentException if the token's value holds a line break (it would split the
     *     header), or if it is DPoP-bound (it needs a proof: {@link #dpop})
     */
    public static Credentials bearer(AccessToken token) {
        Objects.requireNonNull(token, "token");
        if (ProofOfPossession.isDpop(token.tokenType())) {
            throw new IllegalArgumentException("a DPoP-bound token is sent with a proof: use Credentials.dpop");
        }
        return new Credentials(token, Map.of(), null);
    }

    /**
     * The credentials of a DPoP-bound token (RFC 9449 §7.1): {@code Authorization: DPoP <token>} and
     * {@code DPoP: <proof>}, the proof made for this one request. For a redirect hop, make new ones.
     *
     * @throws IllegalArgumentException if the token is not DPoP-bound, or a value holds a line break
     */
    public static Credentials dpop(AccessToken token, String proof) {
        Objects.requireNonNull(proof, "proof");
        return dpop(token, Map.of(ProofOfPossession.DPOP, proof), null);
    }

    /** DPoP credentials that make a new proof for each redirect hop ({@link #at}). */
    static Credentials dpop(AccessToken token, Map<String, String> proofHeaders, BiFunction<String, URI, Credentials> hops) {
        Objects.requireNonNull(token, "token");
        if (!ProofOfPossession.isDpop(token.tokenType())) {
            throw new IllegalArgumentException("the token is a " + token.tokenType() + " token, not DPoP-bound");
        }
        return new Credentials(token, proofHeaders, hops);
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

    /** Whether these credentials carry a proof of possession beside the token (a DPoP-bound token). */
    public boolean provesPossession() {
        return headers.size() > 1;
    }

    /**
     * These credentials for a redirect hop of {@code method} to {@code uri} within the addressed
     * origin: the same for a Bearer token; a new proof naming the hop for a DPoP-bound token.
     *
     * @throws IllegalStateException for DPoP credentials made with {@link #dpop(AccessToken, String)},
     *     which cannot sign a proof for another request
     */
    public Credentials at(String method, URI uri) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(uri, "uri");
        if (!provesPossession()) {
            return this;
        }
        if (hops == null) {
            throw new IllegalStateException("these DPoP credentials hold one proof for one request; make new ones per hop");
        }
        return hops.apply(method, uri);
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
