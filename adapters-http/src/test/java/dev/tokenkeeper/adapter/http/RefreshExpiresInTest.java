package dev.tokenkeeper.adapter.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenResponse;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 16, item 12: the refresh token's own lifetime ({@code refresh_expires_in}, as Keycloak sends
 * it) is read from a real HTTP answer, so that the manager keeps the refresh token exactly that long.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RefreshExpiresInTest {

    private final FakeIdp idp = FakeIdp.start();
    private final VertxTokenEndpoint endpoint =
            VertxTokenEndpoint.builder(idp.tokenUri(), "client", Secret.of("secret")).build();

    @AfterAll
    void stop() {
        endpoint.close();
        idp.close();
    }

    private TokenResponse answer(String extra) throws Exception {
        idp.respondWith(Response.json(200, "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"expires_in\":300"
                + extra + "}"));
        return endpoint.request(new TokenRequest(TokenKey.of("reg"), Grant.ClientCredentials.INSTANCE))
                .toCompletableFuture().get(15, TimeUnit.SECONDS);
    }

    @Test
    @DisplayName("refresh_expires_in is the refresh token's lifetime")
    void keycloakStyle() throws Exception {
        TokenResponse r = answer(",\"refresh_token\":\"rt\",\"refresh_expires_in\":1800");
        assertThat(r.refreshExpiresIn()).isEqualTo(Duration.ofMinutes(30));
    }

    @ParameterizedTest(name = "refresh_expires_in {0} means: unknown")
    @CsvSource(delimiter = '|', value = {"0", "-5", "\"soon\"", "null", "true"})
    @DisplayName("zero (Keycloak's offline tokens), negative or non-numeric values mean: unknown, not a failure")
    void unknown(String value) throws Exception {
        TokenResponse r = answer(",\"refresh_token\":\"rt\",\"refresh_expires_in\":" + value);
        assertThat(r.refreshToken()).isNotNull();
        assertThat(r.refreshExpiresIn()).isNull();
    }

    @Test
    @DisplayName("without a refresh token, refresh_expires_in is ignored; absurd values are cut to ten years")
    void edges() throws Exception {
        assertThat(answer(",\"refresh_expires_in\":1800").refreshExpiresIn()).isNull();
        assertThat(answer(",\"refresh_token\":\"rt\",\"refresh_expires_in\":\"99999999999999\"").refreshExpiresIn())
                .isEqualTo(TokenResponseParser.MAX_REFRESH_EXPIRES_IN);
    }
}
