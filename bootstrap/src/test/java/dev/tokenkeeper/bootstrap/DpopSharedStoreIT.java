package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DPoP from configuration, with several instances sharing one store (a JDBC store on H2): the
 * key's thumbprint is part of a token's identity, so instances with the same key file share a
 * DPoP token, and instances that differ only by their key (or have none) never get one another's.
 */
class DpopSharedStoreIT {

    @TempDir
    Path dir;
    FakeIdp idp;
    final String storeUrl = "jdbc:h2:mem:tk-dpop-" + java.util.UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
    final String sealingKeys = dev.tokenkeeper.application.SealingKeys.generateSpec("k1");

    @BeforeEach
    void start() {
        idp = FakeIdp.start();
    }

    @AfterEach
    void stop() {
        idp.close();
    }

    static Response dpopToken(String value) {
        return Response.json(200, "{\"access_token\":\"" + value + "\",\"token_type\":\"DPoP\",\"expires_in\":300}");
    }

    Path keyFile(String name) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, new ECKeyGenerator(Curve.P_256).generate().toJSONString());
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return f;
    }

    Tokenkeeper instance(Map<String, String> extra) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("clients.api.token-url", idp.tokenUri().toString());
        m.put("clients.api.client-id", "api-client");
        m.put("clients.api.client-secret", "api-secret");
        m.put("refresh.proactive", "false");
        // one H2 database in this JVM stands for the store a fleet shares
        m.put("store.type", "jdbc");
        m.put("store.url", storeUrl);
        m.put("sealing.keys", sealingKeys);
        m.putAll(extra);
        return Tokenkeeper.builder(TokenkeeperConfig.from(Settings.of(m))).start();
    }

    AccessToken token(Map<String, String> extra) {
        try (Tokenkeeper tk = instance(extra)) {
            return tk.provider().token(tk.key("api"));
        }
    }

    @Test
    @DisplayName("the same key file shares the DPoP token through the store; another key, a generated key or none never does")
    void thumbprintIsPartOfTheIdentity() throws Exception {
        idp.respondWith(dpopToken("tok-k1"), dpopToken("tok-k2"), dpopToken("tok-generated"),
                Response.tokens(java.time.Duration.ofMinutes(5)));
        Path k1 = keyFile("k1.jwk");
        Path k2 = keyFile("k2.jwk");

        AccessToken first = token(Map.of("clients.api.dpop-key-file", k1.toString()));
        assertThat(first.value().reveal()).isEqualTo("tok-k1");
        assertThat(first.tokenType()).isEqualTo("DPoP");
        assertThat(idp.requestCount()).isEqualTo(1);

        AccessToken sameKey = token(Map.of("clients.api.dpop-key-file", k1.toString()));
        assertThat(sameKey.value().reveal()).as("same key: from the store").isEqualTo("tok-k1");
        assertThat(sameKey.tokenType()).as("the type survives the store").isEqualTo("DPoP");
        assertThat(idp.requestCount()).isEqualTo(1);

        assertThat(token(Map.of("clients.api.dpop-key-file", k2.toString())).value().reveal()).isEqualTo("tok-k2");
        assertThat(token(Map.of("clients.api.dpop", "true")).value().reveal()).isEqualTo("tok-generated");
        // a DPoP token is useless to a client without the key: the bearer client asks for its own
        AccessToken bearer = token(Map.of());
        assertThat(bearer.tokenType()).isEqualTo("Bearer");
        assertThat(bearer.value().reveal()).isEqualTo(idp.issuedTokens().get(0));
        assertThat(idp.requests()).hasSize(4);
        assertThat(idp.requests().get(3).header("DPoP")).isNull();
        String jkt1 = SignedJWT.parse(idp.requests().get(0).header("DPoP")).getHeader().getJWK().computeThumbprint().toString();
        String jkt2 = SignedJWT.parse(idp.requests().get(1).header("DPoP")).getHeader().getJWK().computeThumbprint().toString();
        assertThat(jkt1).isNotEqualTo(jkt2);
    }

    @Test
    @DisplayName("a 5xx retried by the resilience layer sends a new proof: a new jti")
    void retryAfter5xxHasNewJti() throws Exception {
        idp.respondWith(Response.status(502), dpopToken("tok-after-retry"));
        AccessToken t = token(Map.of("clients.api.dpop", "true", "resilience.attempts", "2"));
        assertThat(t.value().reveal()).isEqualTo("tok-after-retry");
        assertThat(idp.requests()).hasSize(2);
        String jti1 = SignedJWT.parse(idp.requests().get(0).header("DPoP")).getJWTClaimsSet().getJWTID();
        String jti2 = SignedJWT.parse(idp.requests().get(1).header("DPoP")).getJWTClaimsSet().getJWTID();
        assertThat(jti1).isNotNull().isNotEqualTo(jti2);
    }
}
