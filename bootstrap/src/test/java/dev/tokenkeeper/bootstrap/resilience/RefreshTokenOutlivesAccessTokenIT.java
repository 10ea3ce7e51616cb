package dev.tokenkeeper.bootstrap.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.adapter.http.VertxTokenEndpoint;
import dev.tokenkeeper.adapter.store.jdbc.JdbiTokenStore;
import dev.tokenkeeper.adapter.store.jdbc.SchemaAction;
import dev.tokenkeeper.application.ClientRegistration;
import dev.tokenkeeper.application.Resilience;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.Freshness;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.SecretScanner;
import dev.tokenkeeper.testsupport.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 16, item 12: a refresh token outlives its access token, in a real store (JDBC on H2, whose
 * expiry follows the injected clock) shared by two managers that stand for two CLI processes run
 * one after the other, against a real HTTP endpoint on loopback.
 */
class RefreshTokenOutlivesAccessTokenIT {

    private static final TokenKey KEY = TokenKey.of("cli", "orders.read");
    private static final Duration ACCESS = Duration.ofMinutes(5);
    private static final Duration REFRESH = Duration.ofMinutes(30);

    private final SecretScanner scanner = new SecretScanner();
    private final TestClock clock = TestClock.fixed();
    private final FakeIdp idp = FakeIdp.start();
    private final String secret = scanner.secret("cli-secret-" + UUID.randomUUID());
    private final VertxTokenEndpoint endpoint =
            VertxTokenEndpoint.builder(idp.tokenUri(), "cli-client", Secret.of(secret)).build();
    private final JdbiTokenStore store = JdbiTokenStore.builder(
                    Jdbi.create("jdbc:h2:mem:tk-refresh-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1"))
            .clock(clock)
            .schemaAction(SchemaAction.APPLY)
            .build();
    private final String keys = SealingKeys.generateSpec("k1");
    private final List<TokenManager> processes = new ArrayList<>();

    @AfterEach
    void close() {
        processes.forEach(TokenManager::close);
        store.close();
        endpoint.close();
        idp.close();
        scanner.close();
    }

    /** A new "process": a manager with an empty near cache on the shared store. */
    private TokenManager process() {
        TokenManager m = TokenManager.builder()
                .clock(clock)
                .client(ClientRegistration.clientCredentials("cli", endpoint))
                .store(store)
                .sealingKeys(SealingKeys.parse(keys))
                .resilience(Resilience.none(Duration.ofSeconds(5)))
                .proactiveRefresh(false)
                .build();
        processes.add(m);
        return m;
    }

    private String tokenJson(String access, String refresh) {
        scanner.secret(access);
        scanner.secret(refresh);
        return "{\"access_token\":\"" + access + "\",\"token_type\":\"Bearer\",\"expires_in\":" + ACCESS.toSeconds()
                + ",\"refresh_token\":\"" + refresh + "\",\"refresh_expires_in\":" + REFRESH.toSeconds() + "}";
    }

    private List<SealedToken> entries() {
        List<SealedToken> all = new ArrayList<>();
        store.forEach((k, v) -> all.add(v));
        return all;
    }

    @Test
    @DisplayName("a later process refreshes with the stored refresh token after the access token expired; past it, logs in")
    void laterProcessRefreshes() {
        String at1 = "at-1-" + UUID.randomUUID();
        String rt1 = "rt-1-" + UUID.randomUUID();
        String at2 = "at-2-" + UUID.randomUUID();
        String rt2 = "rt-2-" + UUID.randomUUID();
        idp.respondWith(Response.json(200, tokenJson(at1, rt1)), Response.json(200, tokenJson(at2, rt2)))
                .issueTokens(ACCESS);
        Instant t0 = clock.instant();

        TokenManager first = process();
        assertThat(first.token(KEY).value().reveal()).isEqualTo(at1);
        first.close(); // waits for the save
        assertThat(entries()).singleElement().satisfies(e -> assertThat(e.expiresAt())
                .as("kept until the refresh token expires").isEqualTo(t0.plus(REFRESH)));

        clock.advance(ACCESS.plusMinutes(10)); // the access token is dead, the refresh token is not
        AccessToken second = process().token(KEY);

        assertThat(second.value().reveal()).as("never the expired access token").isEqualTo(at2);
        assertThat(Fixture.POLICY.freshness(second, clock.instant())).isEqualTo(Freshness.FRESH);
        assertThat(idp.requestCount()).isEqualTo(2);
        assertThat(idp.lastRequest().form()).containsEntry("grant_type", "refresh_token").containsEntry("refresh_token", rt1);
        processes.get(1).close();

        clock.advance(REFRESH.plusMinutes(1)); // now the rotated refresh token has expired too
        AccessToken third = process().token(KEY);
        idp.issuedTokens().forEach(scanner::secret);
        assertThat(idp.lastRequest().form()).containsEntry("grant_type", "client_credentials");
        assertThat(third.value().reveal()).isNotIn(at1, at2);
        assertThat(idp.requestCount()).isEqualTo(3);
    }
}
