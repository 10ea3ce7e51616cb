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
     * A JWT (RFC 7523 §2.2) MAC'd with the client secret (HS256 by default), sent as
     * {@code client_assertion}; a new one, with a fresh {@code jti}, {@code iat} and {@code exp},
     * for every request sent, retries included.
     */
    CLIENT_SECRET_JWT("client_secret_jwt"),

    /**
     * A JWT (RFC 7523 §2.2) signed with the client's private key ({@link ClientAssertionKey}: RS256,
     * PS256, ES256…), sent as {@code client_assertion}; new for every request sent.
     */
    PRIVATE_KEY_JWT("private_key_jwt"),

    /**
     * Mutual TLS with a certificate from a CA the server trusts (RFC 8705 §2.1); the request
     * carries {@code client_id} only. The IdP's {@code mtls_endpoint_aliases} are used when the
     * endpoint is discovered.
     */
    TLS_CLIENT_AUTH("tls_client_auth"),

    /** Mutual TLS with a self-signed certificate registered at the server (RFC 8705 §2.2). */
    SELF_SIGNED_TLS_CLIENT_AUTH("self_signed_tls_client_auth"),

    /** A public client: only {@code client_id} is sent (RFC 6749 §2.1). */
    NONE("none");

    private final String rfcName;

    ClientAuthentication(String rfcName) {
        this.rfcName = rfcName;
    }

    /** The name RFC 7591 gives this method, e.g. {@code client_secret_basic}. */
    public String rfcName() {
        return rfcName;
    }

    /** Whether this method sends or MACs with the client secret. */
    public boolean usesSecret() {
        return this == CLIENT_SECRET_BASIC || this == CLIENT_SECRET_POST || this == CLIENT_SECRET_JWT;
    }

    /** Whether this method sends a {@code client_assertion}. */
    public boolean usesAssertion() {
        return this == CLIENT_SECRET_JWT || this == PRIVATE_KEY_JWT;
    }

    /** Whether this method authenticates with a TLS client certificate. */
    public boolean usesCertificate() {
        return this == TLS_CLIENT_AUTH || this == SELF_SIGNED_TLS_CLIENT_AUTH;
    }

    /**
     * The method RFC 7591 names {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the known methods if there is none
     */
    public static ClientAuthentication fromRfcName(String name) {
        for (ClientAuthentication a : values()) {
            if (a.rfcName.equalsIgnoreCase(name == null ? "" : name.strip())) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown client authentication method '" + name + "' (known: "
                + java.util.Arrays.stream(values()).map(ClientAuthentication::rfcName).toList() + ")");
    }

    @Override
    public String toString() {
        return rfcName;
    }
}
