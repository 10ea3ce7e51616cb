package dev.tokenkeeper.adapter.http;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.X509CertUtils;
import dev.tokenkeeper.domain.ConfigurationException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The private key a client signs its {@code private_key_jwt} assertions with (RFC 7523 §2.2), and
 * its key id ({@code kid}). Kept in a file, it is read again when the file changes, so the key can
 * be rotated without a restart; the file must be readable by its owner only. Nothing of the key is
 * ever in a message or {@code toString}.
 *
 * <ul>
 *   <li>{@link #pem(Path, String)}: a PKCS#8 {@code PRIVATE KEY} (RSA or EC), optionally followed
 *       by its {@code CERTIFICATE};
 *   <li>{@link #jwk(Path, String)}: a private JWK, or a JWK Set holding one (or the one with the
 *       given {@code kid});
 *   <li>{@link #pkcs12(Path, SecretSource, String, String)}: a PKCS#12 key store entry.
 * </ul>
 *
 * <p>The {@code kid} is, in order: the one given; the JWK's own; the RFC 7638 thumbprint of the
 * public key (from the certificate, or computed from an RSA key); else none. When a certificate is
 * known its SHA-1 and SHA-256 thumbprints are sent as {@code x5t} and {@code x5t#S256} too (Entra
 * ID identifies the key by {@code x5t}). The default algorithm follows the key: RS256 for RSA,
 * ES256/ES384/ES512 for the P-256/P-384/P-521 curves; PS256 and the others can be chosen.
 */
public final class ClientAssertionKey {

    /** One parsed key. */
    record Loaded(PrivateKey key, String keyId, X509Certificate certificate, JWSAlgorithm defaultAlgorithm, JWSSigner signer) {}

    private final WatchedFiles<Loaded> source;
    private final Loaded fixed;
    private final String description;

    private ClientAssertionKey(WatchedFiles<Loaded> source, Loaded fixed, String description) {
        this.source = source;
        this.fixed = fixed;
        this.description = description;
    }

    /**
     * A key in a PEM file: a PKCS#8 {@code -----BEGIN PRIVATE KEY-----} block (convert a PKCS#1 or
     * SEC 1 key with {@code openssl pkcs8 -topk8 -nocrypt}), optionally with a certificate.
     *
     * @param keyId the {@code kid} to send, or null for the default (see the class comment)
     * @throws ConfigurationException if the file cannot be read, is readable by others or holds no usable key
     */
    public static ClientAssertionKey pem(Path file, String keyId) {
        Objects.requireNonNull(file, "file");
        return new ClientAssertionKey(new WatchedFiles<>("the client assertion key", List.of(file), Set.of(file),
                c -> fromPem(new String(c.get(0), StandardCharsets.US_ASCII), keyId)), null, "PEM " + file);
    }

    /**
     * A private JWK in a file, or a JWK Set: the key with {@code keyId}, or its only private key.
     *
     * @throws ConfigurationException if the file cannot be read, is readable by others or holds no usable key
     */
    public static ClientAssertionKey jwk(Path file, String keyId) {
        Objects.requireNonNull(file, "file");
        return new ClientAssertionKey(new WatchedFiles<>("the client assertion key", List.of(file), Set.of(file),
                c -> fromJwk(new String(c.get(0), StandardCharsets.UTF_8), keyId)), null, "JWK " + file);
    }

    /**
     * A key in a PKCS#12 file; the key's password is the store's.
     *
     * @param password the store password, or null for none
     * @param alias the entry, or null for the store's only key entry
     * @param keyId the {@code kid} to send, or null for the thumbprint of the entry's certificate
     * @throws ConfigurationException if the file cannot be read, is readable by others or holds no usable key
     */
    public static ClientAssertionKey pkcs12(Path file, SecretSource password, String alias, String keyId) {
        Objects.requireNonNull(file, "file");
        return new ClientAssertionKey(new WatchedFiles<>("the client assertion key", List.of(file), Set.of(file),
                c -> fromPkcs12(c.get(0), password == null ? new char[0] : password.current().reveal().toCharArray(), alias, keyId)),
                null, "PKCS#12 " + file);
    }

    /**
     * A key held in memory (e.g. from a secret manager), as a private RSA or EC JWK; its {@code kid} is sent.
     *
     * @throws ConfigurationException if it is not a private RSA or EC key
     */
    public static ClientAssertionKey of(JWK privateJwk) {
        Objects.requireNonNull(privateJwk, "privateJwk");
        try {
            return new ClientAssertionKey(null, loaded(privateJwk, null), "JWK in memory");
        } catch (JOSEException | IllegalArgumentException e) {
            throw new ConfigurationException("the client assertion key cannot be used: " + safe(e));
        }
    }

    /** The key as it is now (read again if its file changed). */
    Loaded current() {
        return fixed != null ? fixed : source.current();
    }

    /** Reads the file again now; whether the key changed. */
    boolean reload() {
        return source != null && source.reload();
    }

    /** Moves when the key changes. */
    long version() {
        return source == null ? 0 : source.version();
    }

    // ---------------------------------------------------------------------------------------------

    private static final Pattern PEM_BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

    static Loaded fromPem(String text, String keyId) throws Exception {
        PrivateKey key = null;
        List<X509Certificate> certs = new ArrayList<>();
        Matcher m = PEM_BLOCK.matcher(text);
        while (m.find()) {
            String type = m.group(1);
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            switch (type) {
                case "PRIVATE KEY" -> key = pkcs8(der);
                case "CERTIFICATE" -> certs.add(X509CertUtils.parse(der));
                case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> throw new IllegalArgumentException("tokenkeeper: a " + type
                        + " block (PKCS#1/SEC 1) is not read; convert it to PKCS#8 with: openssl pkcs8 -topk8 -nocrypt");
                case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException("tokenkeeper: an encrypted PEM key is not "
                        + "read; use an unencrypted PKCS#8 file readable by its owner only, or PKCS#12 with a password");
                default -> { } // e.g. a public key: ignored
            }
        }
        if (key == null) {
            throw new IllegalArgumentException("tokenkeeper: no -----BEGIN PRIVATE KEY----- block");
        }
        X509Certificate cert = certs.isEmpty() ? null : certs.get(0);
        return loaded(key, cert, keyId);
    }

    static Loaded fromJwk(String json, String keyId) throws Exception {
        JWK jwk;
        if (json.contains("\"keys\"")) {
            List<JWK> candidates = new ArrayList<>();
            for (JWK k : JWKSet.parse(json).getKeys()) {
                if (k.isPrivate() && (keyId == null || keyId.equals(k.getKeyID()))) {
                    candidates.add(k);
                }
            }
            if (candidates.size() != 1) {
                throw new IllegalArgumentException("tokenkeeper: the JWK Set holds " + candidates.size() + " private keys"
                        + (keyId == null ? "; name one with its kid" : " with kid " + keyId));
            }
            jwk = candidates.get(0);
        } else {
            jwk = JWK.parse(json);
        }
        return loaded(jwk, keyId);
    }

    static Loaded fromPkcs12(byte[] bytes, char[] password, String alias, String keyId) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(new ByteArrayInputStream(bytes), password);
        String chosen = alias;
        if (chosen == null) {
            for (String a : Collections.list(ks.aliases())) {
                if (ks.isKeyEntry(a)) {
                    if (chosen != null) {
                        throw new IllegalArgumentException("tokenkeeper: the key store holds more than one key; name the alias");
                    }
                    chosen = a;
                }
            }
        }
        if (chosen == null || !ks.isKeyEntry(chosen)) {
            throw new IllegalArgumentException("tokenkeeper: no key entry" + (alias == null ? "" : " with alias " + alias));
        }
        PrivateKey key = (PrivateKey) ks.getKey(chosen, password);
        X509Certificate cert = (X509Certificate) ks.getCertificate(chosen);
        return loaded(key, cert, keyId);
    }

    private static Loaded loaded(JWK jwk, String keyId) throws JOSEException {
        if (!jwk.isPrivate()) {
            throw new IllegalArgumentException("tokenkeeper: the JWK holds no private key");
        }
        X509Certificate cert = jwk.getParsedX509CertChain() == null || jwk.getParsedX509CertChain().isEmpty()
                ? null : jwk.getParsedX509CertChain().get(0);
        String kid = keyId != null ? keyId : jwk.getKeyID();
        if (jwk instanceof RSAKey rsa) {
            return new Loaded(rsa.toPrivateKey(), kid != null ? kid : rsa.computeThumbprint().toString(), cert,
                    JWSAlgorithm.RS256, new RSASSASigner(rsa));
        }
        if (jwk instanceof ECKey ec) {
            return new Loaded(ec.toPrivateKey(), kid != null ? kid : ec.computeThumbprint().toString(), cert,
                    ecAlgorithm(ec.getCurve().getStdName()), new ECDSASigner(ec));
        }
        throw new IllegalArgumentException("tokenkeeper: a " + jwk.getKeyType() + " JWK cannot sign client assertions; use RSA or EC");
    }

    private static Loaded loaded(PrivateKey key, X509Certificate cert, String keyId) throws Exception {
        String kid = keyId;
        if (kid == null && cert != null) {
            kid = JWK.parse(cert).computeThumbprint().toString();
        }
        if (key instanceof RSAPrivateKey rsa) {
            if (kid == null && rsa instanceof RSAPrivateCrtKey crt) {
                var pub = (java.security.interfaces.RSAPublicKey) KeyFactory.getInstance("RSA")
                        .generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
                kid = new RSAKey.Builder(pub).build().computeThumbprint().toString();
            }
            return new Loaded(key, kid, cert, JWSAlgorithm.RS256, new RSASSASigner(key));
        }
        if (key instanceof ECPrivateKey ec) {
            String curve = com.nimbusds.jose.jwk.Curve.forECParameterSpec(ec.getParams()) == null ? "?"
                    : com.nimbusds.jose.jwk.Curve.forECParameterSpec(ec.getParams()).getStdName();
            return new Loaded(key, kid, cert, ecAlgorithm(curve), new ECDSASigner(ec));
        }
        throw new IllegalArgumentException("tokenkeeper: a " + key.getAlgorithm() + " key cannot sign client assertions; use RSA or EC");
    }

    private static JWSAlgorithm ecAlgorithm(String curve) {
        return switch (curve) {
            case "secp256r1" -> JWSAlgorithm.ES256;
            case "secp384r1" -> JWSAlgorithm.ES384;
            case "secp521r1" -> JWSAlgorithm.ES512;
            default -> throw new IllegalArgumentException("tokenkeeper: EC curve " + curve + " is not one of P-256, P-384, P-521");
        };
    }

    static PrivateKey pkcs8(byte[] der) throws Exception {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String alg : new String[] {"RSA", "EC", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec);
            } catch (java.security.spec.InvalidKeySpecException e) {
                // try the next type
            }
        }
        throw new IllegalArgumentException("tokenkeeper: the PRIVATE KEY block is neither an RSA nor an EC key");
    }

    /** The {@code x5t} (SHA-1) and {@code x5t#S256} thumbprints of {@code cert}. */
    @SuppressWarnings("deprecation")
    static Base64URL[] thumbprints(X509Certificate cert) {
        return new Base64URL[] {X509CertUtils.computeSHA1Thumbprint(cert), X509CertUtils.computeSHA256Thumbprint(cert)};
    }

    private static String safe(Exception e) {
        return e.getMessage() != null && e.getMessage().startsWith("tokenkeeper: ")
                ? e.getMessage().substring("tokenkeeper: ".length())
                : "not a supported key (" + e.getClass().getSimpleName() + ")";
    }

    @Override
    public String toString() {
        return "ClientAssertionKey[" + description + "]";
    }
}
