package dev.tokenkeeper.bootstrap.resilience;

import static dev.tokenkeeper.bootstrap.resilience.Fixture.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.api.TokenStatus;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.SecretScanner;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 16, item 7: with a wrong secret, Keycloak answers every login with 401
 * {@code unauthorized_client} (and locks a client out under load). N callers within the remembered
 * window must cause one request, counted at a real loopback endpoint spoken to over HTTP, on the
 * fixture's injected clock; the window ends by moving that clock.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PermanentFailureIsRememberedIT {

    private final SecretScanner scanner = new SecretScanner();
    private final ExecutorService callers = Executors.newFixedThreadPool(20);

    @AfterAll
    void close() {
        callers.shutdownNow();
        scanner.close();
    }

    private TokenException refused(Fixture f) {
        TokenException e = catchThrowableOfType(TokenException.class, () -> f.manager.token(KEY));
        assertThat(e).as("a typed failure").isNotNull();
        assertThat(e.isTransient()).as("%s is permanent", e.kind()).isFalse();
        scanner.seen(e);
        return e;
    }

    @Test
    @DisplayName("100 sequential and 20 concurrent callers with a wrong secret: one login within the first window, one more after it")
    void wrongSecret() throws Exception {
        try (Fixture f = new Fixture(scanner, Fixture.quick())) {
            f.idp.alwaysRespond(Response.json(401, "{\"error\":\"unauthorized_client\","
                    + "\"error_description\":\"Invalid client or Invalid client credentials\"}"));
            Instant t0 = f.clock.instant();

            TokenException first = refused(f);
            for (int i = 0; i < 99; i++) {
                TokenException e = refused(f);
                assertThat(e.kind()).isEqualTo(first.kind());
                assertThat(e.getMessage()).contains("remembered").contains(t0.plusSeconds(1).toString());
            }
            CountDownLatch start = new CountDownLatch(1);
            List<Future<TokenException>> concurrent = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                concurrent.add(callers.submit(() -> {
                    start.await();
                    return refused(f);
                }));
            }
            start.countDown();
            for (Future<TokenException> c : concurrent) {
                assertThat(c.get(20, TimeUnit.SECONDS).kind()).isEqualTo(first.kind());
            }

            assertThat(f.idp.requestCount()).as("logins within the first window").isLessThanOrEqualTo(2).isEqualTo(1);
            TokenStatus status = f.manager.status(KEY);
            assertThat(status.lastFailure()).contains(first.kind());
            assertThat(status.failingFastUntil()).contains(t0.plusSeconds(1));

            f.clock.advance(Duration.ofSeconds(1)); // the first window is over
            refused(f);
            assertThat(f.idp.requestCount()).as("exactly one more login after the window").isEqualTo(2);
            for (int i = 0; i < 50; i++) {
                refused(f);
            }
            assertThat(f.idp.requestCount()).as("the second window is longer").isEqualTo(2);
            assertThat(f.manager.status(KEY).failingFastUntil()).contains(f.clock.instant().plusSeconds(2));
        }
    }

    @Test
    @DisplayName("after the secret is fixed, forgetting the client's failures lets the next caller log in at once")
    void fixedSecret() {
        try (Fixture f = new Fixture(scanner, Fixture.quick())) {
            f.idp.respondWith(Response.json(400, "{\"error\":\"invalid_client\"}")).issueTokens(Fixture.LIFETIME);
            refused(f);
            refused(f);
            assertThat(f.idp.requestCount()).isEqualTo(1);
            assertThat(f.manager.forgetFailures(Fixture.CLIENT)).isEqualTo(1);
            assertThat(f.manager.token(KEY)).isNotNull();
            assertThat(f.idp.requestCount()).isEqualTo(2);
            assertThat(f.manager.status(KEY).lastFailure()).isEmpty();
        }
    }
}
