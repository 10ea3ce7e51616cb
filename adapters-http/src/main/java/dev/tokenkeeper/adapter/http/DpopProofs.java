package dev.tokenkeeper.adapter.http;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.api.ProofOfPossession;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.InstantSource;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A client's DPoP key (RFC 9449) and the proofs it signs: one fresh proof ({@code jti}, {@code iat},
 * {@code htm}, {@code htu}, and {@code ath} when an access token goes with it) for every HTTP
 * request, and the last {@code DPoP-Nonce} each server (origin) sent, put into the next proof for
 * that server.
 *
 * <pre>{@code
 * DpopProofs dpop = DpopProofs.generate();                        // or DpopProofs.load(Path.of("/etc/tk/dpop.jwk"))
 * VertxTokenEndpoint endpoint = VertxTokenEndpoint.builder(tokenUrl, clientId, secret).dpop(dpop).build();
 * AuthenticatedWebClient api = AuthenticatedWebClient.builder(webClient, manager, key).dpop(dpop).build();
 * // or, with an HTTP client of one's own:
 * DpopProofs.Headers h = dpop.headers("GET", URI.create("https://api.example/orders"), manager.token(key));
 * request.header("Authorization", h.authorization()).header("DPoP", h.proof());
 * // or through the shared request rules (JDK HttpClient, OkHttp, Spring), which it is the ProofOfPossession of:
 * AuthenticatedRequests orders = AuthenticatedRequests.of(manager, key, dpop);
 * }</pre>
 *
 * <h2>The key, and a shared store</h2>
 * A token bound to a key is useless with another key, so the key's JWK SHA-256 thumbprint
 * (RFC 7638, {@link #thumbprint()}) is part of the token's identity in a shared or persistent store
 * (see {@link dev.tokenkeeper.domain.spi.TokenEndpoint#tokenBinding()}). Instances that load the same
 * key file share their tokens; instances with a {@link #generate() generated} key each get their own
 * (correct, but one token per instance). For a fleet that should share tokens, give every instance
 * the same key file. The key is read once; a new key is a new identity (old tokens are simply not
 * found).
 *
 * <p>Keys: EC P-256/P-384/P-521 (ES256/ES384/ES512) or RSA of at least 2048 bits (RS256), as a
 * private JWK (JSON) or PEM (PKCS#8 or SEC1 private key). Thread-safe; {@code toString} shows only
 * the thumbprint.
 */
public final class DpopProofs implements ProofOfPossession {

    /** The JOSE {@code typ} of a DPoP proof (RFC 9449 §4.2). */
    public static final JOSEObjectType TYPE = new JOSEObjectType("dpop+jwt");

    /** How many servers' nonces are remembered; more are forgotten all at once (a nonce is only a hint). */
    private static final int MAX_NONCES = 256;

    private final JWK publicJwk;
    private final JWSAlgorithm algorithm;
    private final JWSSigner signer;
    private final String thumbprint;
    private final InstantSource clock;
    private final Map<String, String> nonces = new ConcurrentHashMap<>();

    private DpopProofs(JWK key, InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (!key.isPrivate()) {
            throw new ConfigurationException("the DPoP key must be a private key (it signs the proofs)");
        }
        try {
            if (key instanceof ECKey ec) {
                Curve curve = ec.getCurve();
                this.algorithm = Curve.P_256.equals(curve) ? JWSAlgorithm.ES256
                        : Curve.P_384.equals(curve) ? JWSAlgorithm.ES384
                        : Curve.P_521.equals(curve) ? JWSAlgorithm.ES512 : null;
                if (algorithm == null) {
                    throw new ConfigurationException("the DPoP key's curve " + curve + " is not supported (P-256, P-384, P-521)");
                }
                this.signer = new ECDSASigner(ec);
            } else if (key instanceof RSAKey rsa) {
                if (rsa.size() < 2048) {
                    throw new ConfigurationException("the DPoP key is RSA of " + rsa.size() + " bits; at least 2048 are required");
                }
                this.algorithm = JWSAlgorithm.RS256;
                this.signer = new RSASSASigner(rsa);
            } else {
                throw new ConfigurationException("the DPoP key must be an EC or RSA key, was " + key.getKeyType());
            }
            this.publicJwk = key.toPublicJWK();
            this.thumbprint = publicJwk.computeThumbprint("SHA-256").toString();
        } catch (JOSEException e) {
            throw new ConfigurationException("the DPoP key cannot sign (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** A new EC P-256 key, kept in memory only (each instance then has its own tokens). */
    public static DpopProofs generate() {
        return generate(InstantSource.system());
    }

    /** A new EC P-256 key, with {@code clock} for the proofs' {@code iat}. */
    public static DpopProofs generate(InstantSource clock) {
        try {
            return new DpopProofs(new ECKeyGenerator(Curve.P_256).generate(), clock);
        } catch (JOSEException e) {
            throw new ConfigurationException("cannot generate an EC P-256 DPoP key (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** The private key {@code key}. */
    public static DpopProofs of(JWK key, InstantSource clock) {
        return new DpopProofs(Objects.requireNonNull(key, "key"), clock);
    }

    /** The private key in {@code file}: a JWK (JSON) or PEM. */
    public static DpopProofs load(Path file) {
        return load(file, InstantSource.system());
    }

    /**
     * The private key in {@code file}: a JWK (JSON object) or PEM, with {@code clock} for {@code iat}.
     *
     * @throws ConfigurationException if it cannot be read or is no usable private key; the message
     *     names the path, never the content
     */
    public static DpopProofs load(Path file, InstantSource clock) {
        Objects.requireNonNull(file, "file");
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException | RuntimeException e) {
            throw new ConfigurationException("the DPoP key file " + file + " cannot be read (" + e.getClass().getSimpleName() + ")");
        }
        JWK key;
        try {
            key = text.startsWith("{") ? JWK.parse(text) : JWK.parseFromPEMEncodedObjects(text);
        } catch (java.text.ParseException | JOSEException | RuntimeException e) {
            throw new ConfigurationException("the DPoP key file " + file + " holds no usable private key as JWK or PEM ("
                    + e.getClass().getSimpleName() + ")");
        }
        return new DpopProofs(key, clock);
    }

    /** The JWK SHA-256 thumbprint (RFC 7638) of the key, base64url: what tokens are bound to ({@code cnf.jkt}). */
    public String thumbprint() {
        return thumbprint;
    }

    /** The public key, as sent in every proof's header. */
    public JWK publicKey() {
        return publicJwk;
    }

    /** A proof for a request without an access token (a token request): {@code method} and {@code uri}. */
    public String proof(String method, URI uri) {
        return sign(method, uri, null, nonce(uri));
    }

    /** A proof for a request with {@code accessToken} (a resource request): with {@code ath}. */
    public String proof(String method, URI uri, Secret accessToken) {
        return sign(method, uri, Objects.requireNonNull(accessToken, "accessToken"), nonce(uri));
    }

    /**
     * The {@code DPoP} header of a resource request with the DPoP-bound {@code token}, its proof
     * carrying {@code nonce} (not the one remembered here): what the shared request rules
     * ({@code AuthenticatedRequests}), which remember each origin's nonce themselves, ask for.
     */
    @Override
    public Map<String, String> headers(String method, URI uri, AccessToken token, String nonce) {
        Objects.requireNonNull(token, "token");
        return Map.of(ProofOfPossession.DPOP, sign(method, uri, token.value(), nonce));
    }

    /**
     * The two headers of a resource request made with {@code token}: {@code Authorization} (scheme
     * {@code DPoP} for a DPoP-bound token, {@code Bearer} for a token the server did not bind) and
     * {@code DPoP} (the proof, or null for a bearer token). For code that sends requests with an
     * HTTP client of its own; after a response, pass its {@code DPoP-Nonce} to {@link #rememberNonce}.
     */
    public Headers headers(String method, URI uri, AccessToken token) {
        Objects.requireNonNull(token, "token");
        if (!isDpop(token.tokenType())) {
            return new Headers("Bearer " + token.value().reveal(), null);
        }
        return new Headers("DPoP " + token.value().reveal(), proof(method, uri, token.value()));
    }

    /** Whether {@code tokenType} is {@code DPoP} (compared case-insensitively, as RFC 6749 §7.1 says). */
    public static boolean isDpop(String tokenType) {
        return ProofOfPossession.isDpop(tokenType);
    }

    /**
     * Whether an answer asks for a DPoP nonce (RFC 9449 §9); the rule is the domain's,
     * {@link ProofOfPossession#asksForNonce}, written once. Such an answer does not reject the token:
     * the request is sent once more, with a proof carrying the nonce (after {@link #rememberNonce}).
     */
    public static boolean asksForNonce(int status, String nonce, List<String> challenges) {
        return ProofOfPossession.asksForNonce(status, nonce, challenges);
    }

    /** Remembers {@code nonce} for the server of {@code uri}, for its next proofs; a null or blank nonce is ignored. */
    public void rememberNonce(URI uri, String nonce) {
        if (nonce == null || nonce.isBlank() || nonce.length() > 1024) {
            return;
        }
        if (nonces.size() >= MAX_NONCES) {
            nonces.clear();
        }
        nonces.put(origin(uri), nonce.strip());
    }

    /** The nonce last remembered for the server of {@code uri}, or null. */
    public String nonce(URI uri) {
        return nonces.get(origin(uri));
    }

    private String sign(String method, URI uri, Secret accessToken, String nonce) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(uri, "uri");
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .jwtID(UUID.randomUUID().toString())
                .claim("htm", method.toUpperCase(Locale.ROOT))
                .claim("htu", htu(uri))
                .issueTime(Date.from(clock.instant()));
        if (nonce != null) {
            claims.claim("nonce", nonce);
        }
        if (accessToken != null) {
            claims.claim("ath", ath(accessToken));
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).type(TYPE).jwk(publicJwk).build(), claims.build());
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new TokenException(FailureKind.BAD_CONFIGURATION,
                    "the DPoP proof could not be signed (" + e.getClass().getSimpleName() + ")");
        }
        return jwt.serialize();
    }

    /** RFC 9449 §4.2: the target URI without query and fragment. */
    static String htu(URI uri) {
        if (uri.getScheme() == null || uri.getRawAuthority() == null) {
            throw new IllegalArgumentException("a DPoP proof needs an absolute URI, was " + EndpointConfig.display(uri));
        }
        return uri.getScheme() + "://" + uri.getRawAuthority() + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }

    /** RFC 9449 §4.2: base64url of the SHA-256 of the access token's ASCII. */
    static String ath(Secret accessToken) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(accessToken.reveal().getBytes(StandardCharsets.US_ASCII));
            return Base64URL.encode(hash).toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String origin(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equals(scheme) ? 443 : "http".equals(scheme) ? 80 : -1;
        return scheme + "://" + host + ":" + port;
    }

    @Override
    public String toString() {
        return "DpopProofs[" + algorithm + ", jkt=" + thumbprint + "]";
    }

    /**
     * The headers of one resource request.
     *
     * @param authorization the {@code Authorization} value ({@code DPoP <token>} or {@code Bearer <token>})
     * @param proof the {@code DPoP} header's value, or null for a bearer token
     */
    public record Headers(String authorization, String proof) {
        @Override
        public String toString() {
            return "Headers[authorization=[redacted], proof=" + (proof == null ? "none" : "[proof]") + "]";
        }
    }
}
