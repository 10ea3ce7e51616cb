package dev.tokenkeeper.adapter.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenResponse;
import dev.tokenkeeper.testsupport.SecretScanner;
import dev.tokenkeeper.testsupport.keycloak.Keycloak;
import java.io.FileInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every key- and certificate-based client authentication method, and discovery, against a real
 * Keycloak ({@link Keycloak}: started once per suite run, realm from test-support's realm file).
 * Keys and client certificates are made here, at test time; Keycloak learns the public keys through
 * its admin API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeycloakClientAuthIT {

    private final SecretScanner scanner = new SecretScanner();
    private Keycloak kc;
    @TempDir
    Path dir;

    private RSAKey rsa;
    private ECKey ec;
    private Path ecP12;
    private String ecP12Kid;

    /**
     * Makes every key first and gives Keycloak each client's public keys once: Keycloak caches a
     * client's keys and looks again for an unknown kid only after a pause, so keys swapped between
     * tests would not be seen.
     */
    @BeforeAll
    void keycloak(@TempDir Path keys) throws Exception {
        kc = Keycloak.get();
        scanner.secret(Keycloak.SECRET_JWT_CLIENT_SECRET);
        scanner.secret(Keycloak.SECRET_CLIENT_SECRET);
        // Keycloak takes only keys marked for signatures from a JWK Set
        rsa = new RSAKeyGenerator(2048).keyUse(KeyUse.SIGNATURE).keyID("rs-" + System.nanoTime()).generate();
        scanner.secret(rsa.getPrivateExponent().toString());
        kc.useJwks("tk-jwt-rs256", new JWKSet(rsa.toPublicJWK()).toString());

        ec = new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).keyID("es-" + System.nanoTime()).generate();
        scanner.secret(ec.getD().toString());
        ecP12 = kc.issueClientCertificate("tk-jwt-es256", keys);
        Files.setPosixFilePermissions(ecP12, PosixFilePermissions.fromString("rw-------"));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(ecP12.toFile())) {
            ks.load(in, Keycloak.STORE_PASSWORD.toCharArray());
        }
        JWK certKey = JWK.parse((X509Certificate) ks.getCertificate("client"));
        ecP12Kid = certKey.computeThumbprint().toString();
        kc.useJwks("tk-jwt-es256", new JWKSet(List.of(ec.toPublicJWK(),
                new ECKey.Builder((ECKey) certKey).keyID(ecP12Kid).build().toPublicJWK())).toString());
    }

    @AfterAll
    void scan() {
        scanner.close();
    }

    private TokenResponse token(VertxTokenEndpoint.Builder builder) throws Exception {
        try (VertxTokenEndpoint endpoint = builder.build()) {
            scanner.seen(endpoint);
            TokenResponse r = endpoint.request(new TokenRequest(TokenKey.of("kc"), Grant.ClientCredentials.INSTANCE))
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            scanner.secret(r.accessToken().reveal());
            scanner.seen(r);
            return r;
        } catch (ExecutionException e) {
            scanner.seen(e.getCause());
            throw e;
        }
    }

    private static String azp(TokenResponse r) throws Exception {
        return SignedJWT.parse(r.accessToken().reveal()).getJWTClaimsSet().getStringClaim("azp");
    }

    private Path ownerOnly(String name, String content) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    @Test
    void privateKeyJwtRs256FromAPemFile() throws Exception {
        RSAKey key = rsa;
        Path pemFile = ownerOnly("rsa.pem", pem("PRIVATE KEY", key.toPrivateKey().getEncoded()));
        scanner.secret(Files.readString(pemFile).lines().skip(1).findFirst().orElseThrow());

        TokenResponse r = token(VertxTokenEndpoint.builder(kc.tokenEndpoint(), "tk-jwt-rs256")
                .clientAuthentication(ClientAuthentication.PRIVATE_KEY_JWT)
                .clientAssertionKey(ClientAssertionKey.pem(pemFile, key.getKeyID())));
        assertThat(azp(r)).isEqualTo("tk-jwt-rs256");
    }

    @Test
    void privateKeyJwtEs256FromAJwkFileWithTheIssuerAsAudience() throws Exception {
        ECKey key = ec;
        Path jwkFile = ownerOnly("ec.jwk", key.toJSONString());

        TokenResponse r = token(VertxTokenEndpoint.builder(kc.tokenEndpoint(), "tk-jwt-es256")
                .clientAuthentication(ClientAuthentication.PRIVATE_KEY_JWT)
                .issuer(kc.issuer())
                .assertionAudience("issuer")
                .clientAssertionKey(ClientAssertionKey.jwk(jwkFile, null)));
        assertThat(azp(r)).isEqualTo("tk-jwt-es256");
    }

    @Test
    void privateKeyJwtEs256FromPkcs12UsesTheCertificateThumbprintAsKid() throws Exception {
        Path p12 = ecP12;
        TokenResponse r = token(VertxTokenEndpoint.builder(kc.tokenEndpoint(), "tk-jwt-es256")
                .clientAuthentication(ClientAuthentication.PRIVATE_KEY_JWT)
                .clientAssertionKey(ClientAssertionKey.pkcs12(p12, SecretSource.of(Secret.of(Keycloak.STORE_PASSWORD)), null, null)));
        assertThat(azp(r)).isEqualTo("tk-jwt-es256");
    }

    @Test
    void aKeyKeycloakDoesNotKnowIsATypedInvalidClient() throws Exception {
        RSAKey other = new RSAKeyGenerator(2048).keyID(rsa.getKeyID()).generate(); // the registered kid, another key
        scanner.secret(other.getPrivateExponent().toString());
        assertThatThrownBy(() -> token(VertxTokenEndpoint.builder(kc.tokenEndpoint(), "tk-jwt-rs256")
                        .clientAuthentication(ClientAuthentication.PRIVATE_KEY_JWT)
                        .clientAssertionKey(ClientAssertionKey.of(other))))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(TokenException.class,
                        e -> assertThat(e.kind()).isIn(FailureKind.INVALID_CLIENT, FailureKind.UNAUTHORIZED_CLIENT));
    }

    @Test
    void clientSecretJwt() throws Exception {
        TokenResponse r = token(VertxTokenEndpoint.builder(kc.tokenEndpoint(), "tk-secret-jwt",
                        Secret.of(Keycloak.SECRET_JWT_CLIENT_SECRET))
                .clientAuthentication(ClientAuthentication.CLIENT_SECRET_JWT));
        assertThat(azp(r)).isEqualTo("tk-secret-jwt");
    }

    @Test
    void clientSecretJwtWithAWrongSecretIsRejected() {
        String wrong = scanner.secret("tk-secret-jwt-wrong-0000000000000000000000000000");
        assertThatThrownBy(() -> token(VertxTokenEndpoint.builder(kc.tokenEndpoint(), "tk-secret-jwt", Secret.of(wrong))
                        .clientAuthentication(ClientAuthentication.CLIENT_SECRET_JWT)))
                .cause().isInstanceOfSatisfying(TokenException.class,
                        e -> assertThat(e.kind()).isIn(FailureKind.INVALID_CLIENT, FailureKind.UNAUTHORIZED_CLIENT));
    }

    @Test
    void discoveryFromTheRealmIssuer() throws Exception {
        TokenResponse r = token(VertxTokenEndpoint.discover(kc.issuer(), "tk-secret",
                        SecretSource.of(Secret.of(Keycloak.SECRET_CLIENT_SECRET)))
                .clientAuthentication(ClientAuthentication.CLIENT_SECRET_POST));
        assertThat(azp(r)).isEqualTo("tk-secret");
        assertThat(SignedJWT.parse(r.accessToken().reveal()).getJWTClaimsSet().getIssuer()).isEqualTo(kc.issuer().toString());
    }

    @Test
    void discoveryRefusesADocumentForAnotherIssuer() {
        URI wrong = URI.create(kc.issuer() + "/"); // the same server, but not the identical issuer string
        assertThatThrownBy(() -> token(VertxTokenEndpoint.discover(wrong, "tk-secret",
                        SecretSource.of(Secret.of(Keycloak.SECRET_CLIENT_SECRET)))))
                .cause().isInstanceOfSatisfying(TokenException.class, e -> {
                    assertThat(e.kind()).isEqualTo(FailureKind.BAD_CONFIGURATION);
                    assertThat(e.getMessage()).contains("must be identical");
                });
    }

    @Test
    void tlsClientAuthOverHttpsWithTheTestCaAndDiscoveredMtlsAlias() throws Exception {
        Path p12 = kc.issueClientCertificate("tk-mtls", dir.resolve("mtls"));
        Files.setPosixFilePermissions(p12, PosixFilePermissions.fromString("rw-------"));
        // also as PEM files: certificate chain and PKCS#8 key
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(p12.toFile())) {
            ks.load(in, Keycloak.STORE_PASSWORD.toCharArray());
        }
        PrivateKey pk = (PrivateKey) ks.getKey("client", Keycloak.STORE_PASSWORD.toCharArray());
        StringBuilder chain = new StringBuilder();
        for (var c : ks.getCertificateChain("client")) {
            chain.append(pem("CERTIFICATE", c.getEncoded()));
        }
        Path certPem = dir.resolve("mtls.crt");
        Files.writeString(certPem, chain);
        Path keyPem = ownerOnly("mtls.key", pem("PRIVATE KEY", pk.getEncoded()));

        for (ClientCertificate cert : List.of(ClientCertificate.pkcs12(p12, SecretSource.of(Secret.of(Keycloak.STORE_PASSWORD))),
                ClientCertificate.pem(certPem, keyPem))) {
            TokenResponse r = token(VertxTokenEndpoint.discover(kc.httpsIssuer(), "tk-mtls", null)
                    .clientAuthentication(ClientAuthentication.TLS_CLIENT_AUTH)
                    .trustedCertificates(kc.caPem())
                    .clientCertificate(cert));
            assertThat(azp(r)).as(cert.toString()).isEqualTo("tk-mtls");
        }
    }

    @Test
    void tlsClientAuthWithoutACertificateIsRejectedByKeycloak() throws Exception {
        // a certificate for another subject: the TLS handshake succeeds, the client is refused
        Path p12 = kc.issueClientCertificate("not-tk-mtls", dir.resolve("other"));
        Files.setPosixFilePermissions(p12, PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> token(VertxTokenEndpoint.builder(kc.httpsTokenEndpoint(), "tk-mtls")
                        .clientAuthentication(ClientAuthentication.TLS_CLIENT_AUTH)
                        .trustedCertificates(kc.caPem())
                        .clientCertificate(ClientCertificate.pkcs12(p12, SecretSource.of(Secret.of(Keycloak.STORE_PASSWORD))))))
                .cause().isInstanceOfSatisfying(TokenException.class,
                        e -> assertThat(e.kind()).isIn(FailureKind.INVALID_CLIENT, FailureKind.UNAUTHORIZED_CLIENT));
    }
}
