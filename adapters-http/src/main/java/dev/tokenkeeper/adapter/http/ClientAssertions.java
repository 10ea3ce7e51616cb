package dev.tokenkeeper.adapter.http;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Date;

/**
 * Makes the RFC 7523 §2.2 client assertions of one client: {@code iss} = {@code sub} = the client
 * id, {@code aud} the token endpoint (default), the issuer, or a configured value, a random
 * {@code jti} and {@code iat}/{@code exp} from the injected clock, signed with the client's key
 * ({@code private_key_jwt}) or MAC'd with its secret ({@code client_secret_jwt}). {@link #create}
 * makes a new one every time: the endpoint calls it for every request it sends, so a retry never
 * replays a {@code jti}. Thread-safe.
 */
final class ClientAssertions {

    /** RFC 7523 §3: the assertion is a JWT; this is the form parameter's value. */
    static final String ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    /** An assertion is used once, at once: a minute covers clock skew between client and server. */
    static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(60);

    /** {@code aud}: the token endpoint the request goes to. */
    static final String AUDIENCE_TOKEN_ENDPOINT = "token-endpoint";
    /** {@code aud}: the issuer (configured or discovered). */
    static final String AUDIENCE_ISSUER = "issuer";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String clientId;
    private final ClientAuthentication method;
    private final ClientAssertionKey key;
    private final SecretSource secret;
    private final JWSAlgorithm algorithm;
    private final String audience;
    private final Duration lifetime;
    private final InstantSource clock;

    ClientAssertions(String clientId, ClientAuthentication method, ClientAssertionKey key, SecretSource secret,
            String algorithm, String audience, Duration lifetime, InstantSource clock) {
        this.clientId = clientId;
        this.method = method;
        this.key = key;
        this.secret = secret;
        this.algorithm = algorithm == null ? null : JWSAlgorithm.parse(algorithm);
        this.audience = audience == null ? AUDIENCE_TOKEN_ENDPOINT : audience;
        this.lifetime = lifetime == null ? DEFAULT_LIFETIME : lifetime;
        this.clock = clock;
    }

    /** Checks the algorithm against the method and key, for the builder; a problem, or null. */
    static String check(ClientAuthentication method, ClientAssertionKey key, String algorithm) {
        if (algorithm == null) {
            return null;
        }
        JWSAlgorithm alg = JWSAlgorithm.parse(algorithm);
        if (method == ClientAuthentication.CLIENT_SECRET_JWT && !JWSAlgorithm.Family.HMAC_SHA.contains(alg)) {
            return "assertionAlgorithm " + algorithm + " is not an HMAC algorithm (HS256, HS384, HS512) for client_secret_jwt";
        }
        if (method == ClientAuthentication.PRIVATE_KEY_JWT) {
            if (!JWSAlgorithm.Family.SIGNATURE.contains(alg)) {
                return "assertionAlgorithm " + algorithm + " is not a signature algorithm (RS256, PS256, ES256, …) for private_key_jwt";
            }
            if (key != null) {
                String type = key.current().key().getAlgorithm();
                boolean rsa = JWSAlgorithm.Family.RSA.contains(alg);
                if (rsa != type.startsWith("RSA")) {
                    return "assertionAlgorithm " + algorithm + " does not fit the client's " + type + " key";
                }
            }
        }
        return null;
    }

    /**
     * A new assertion for a request to {@code tokenUrl}.
     *
     * @param issuer the issuer (configured or discovered), or null if unknown
     * @throws TokenException BAD_CONFIGURATION if it cannot be made (e.g. a secret shorter than HS256 requires)
     */
    String create(URI tokenUrl, URI issuer) {
        Instant now = clock.instant();
        byte[] jti = new byte[16];
        RANDOM.nextBytes(jti);
        String aud = switch (audience) {
            case AUDIENCE_TOKEN_ENDPOINT -> tokenUrl.toString();
            case AUDIENCE_ISSUER -> {
                if (issuer == null) {
                    throw new TokenException(FailureKind.BAD_CONFIGURATION, "the client assertion's audience is the issuer, "
                            + "but no issuer is configured: set issuer, or an explicit assertion audience");
                }
                yield issuer.toString();
            }
            default -> audience;
        };
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(clientId)
                .subject(clientId)
                .audience(aud)
                .jwtID(Base64.getUrlEncoder().withoutPadding().encodeToString(jti))
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(lifetime)))
                .build();
        try {
            JWSSigner signer;
            JWSHeader.Builder header;
            if (method == ClientAuthentication.CLIENT_SECRET_JWT) {
                signer = new MACSigner(secret.current().reveal().getBytes(StandardCharsets.UTF_8));
                header = new JWSHeader.Builder(algorithm == null ? JWSAlgorithm.HS256 : algorithm);
            } else {
                ClientAssertionKey.Loaded k = key.current();
                signer = k.signer();
                header = new JWSHeader.Builder(algorithm == null ? k.defaultAlgorithm() : algorithm).keyID(k.keyId());
                if (k.certificate() != null) {
                    Base64URL[] t = ClientAssertionKey.thumbprints(k.certificate());
                    header = x5t(header, t[0]).x509CertSHA256Thumbprint(t[1]);
                }
            }
            SignedJWT jwt = new SignedJWT(header.type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            // Nimbus's messages name lengths and algorithms, never key bytes; still, say it in our words
            throw new TokenException(FailureKind.BAD_CONFIGURATION, "the client assertion (" + method + ") cannot be signed: "
                    + (e instanceof com.nimbusds.jose.KeyLengthException
                            ? "the client secret is too short for " + (algorithm == null ? "HS256" : algorithm)
                                    + " (HS256 needs at least 32 bytes)"
                            : e.getClass().getSimpleName()));
        }
    }

    @SuppressWarnings("deprecation")
    private static JWSHeader.Builder x5t(JWSHeader.Builder b, Base64URL sha1) {
        return b.x509CertThumbprint(sha1);
    }

    /** Validates a configured audience: a keyword or an absolute URI-ish string. */
    static void checkAudience(String audience) {
        if (audience != null && audience.isBlank()) {
            throw new ConfigurationException("assertionAudience must not be blank: token-endpoint, issuer, or a value");
        }
    }
}
