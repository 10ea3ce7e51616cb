package dev.tokenkeeper.adapter.http;

/**
 * How the client authenticates to the token endpoint (RFC 6749 §2.3.1; names as in RFC 7591).
 */
public enum ClientAuthentication {
    /**
     * HTTP Basic authentication: {@code Authorization: Basic base64(urlencode(id):urlencode(secret))},
     * with id and secret form-urlencoded first as RFC 6749 §2.3.1 and Appendix B require. The
     * default, because every authorization server must support it.
     */
    CLIENT_SECRET_BASIC("client_secret_basic"),

    /** {@code client_id} and {@code client_secret} as form parameters of the request body. */
    CLIENT_SECRET_POST("client_secret_post"),

    /**
     * A public client (RFC 6749 §2.1): only {@code client_id} in the body, no secret. For a client
     * that refreshes tokens obtained elsewhere (a login UI, a CLI) and holds no secret.
     */
    NONE("none");

    private final String rfcName;

    ClientAuthentication(String rfcName) {
        this.rfcName = rfcName;
    }

    /** The name RFC 7591 gives this method, e.g. {@code client_secret_basic}. */
    public String rfcName() {
        return rfcName;
    }

    @Override
    public String toString() {
        return rfcName;
    }
}
