package dev.tokenkeeper.bootstrap.resilience;

import static dev.tokenkeeper.bootstrap.resilience.Fixture.EXPIRED_AFTER;
import static dev.tokenkeeper.bootstrap.resilience.Fixture.KEY;
import static dev.tokenkeeper.bootstrap.resilience.Fixture.LIFETIME;
import static dev.tokenkeeper.bootstrap.resilience.Fixture.POLICY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tokenkeeper.application.Resilience;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Freshness;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.testsupport.SecretScanner;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 16, item 11: a frozen IdP that resumes answers after most of the token's life has passed.
 * The answer is held by the loopback IdP for {@link #HELD} of real time; while it is held, the test
 * moves the manager's injected clock past the token's usable life, so the answer arrives (by the
 * manager's clock) too late. Such a token must never be served: one immediate new request, never
 * a loop.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LateAnswerIT {

    /** Real time the IdP holds its answer: long enough for the test to move the clock meanwhile. */
    private static final Duration HELD = Duration.ofMillis(700);

    private final SecretScanner scanner = new SecretScanner();

    @AfterAll
    void scan() {
        scanner.close();
    }

    private static Fixture fixture(SecretScanner scanner) {
        return new Fixture(scanner, Resilience.none(Duration.ofSeconds(5)), Duration.ofSeconds(5), b -> b);
    }

    @Test
    @DisplayName("a token that arrives after its usable life is not served: one new request, whose token is")
    void oneMoreRequest() throws Exception {
        try (Fixture f = fixture(scanner)) {
            f.idp.respondWith(Response.tokens(LIFETIME).withDelay(HELD)).issueTokens(LIFETIME);
            CompletableFuture<AccessToken> call = f.manager.tokenAsync(KEY).toCompletableFuture();
            Await.until("the IdP holds the request", () -> f.idp.requestCount() == 1);
            f.clock.advance(EXPIRED_AFTER.plusSeconds(10)); // the IdP answers after the usable life

            AccessToken t = call.get(20, TimeUnit.SECONDS);
            f.registerIssuedTokens();

            assertThat(f.idp.requestCount()).isEqualTo(2);
            assertThat(f.idp.issuedTokens()).hasSize(2);
            assertThat(t.value().reveal()).as("the second token").isEqualTo(f.idp.issuedTokens().get(1));
            assertThat(POLICY.freshness(t, f.clock.instant())).isEqualTo(Freshness.FRESH);
            assertThat(f.manager.token(KEY)).isSameAs(t);
        }
    }

    @Test
    @DisplayName("two late answers in a row: a TIMEOUT after exactly two requests, and no token served")
    void neverALoop() throws Exception {
        try (Fixture f = fixture(scanner)) {
            f.idp.respondWith(Response.tokens(LIFETIME).withDelay(HELD), Response.tokens(LIFETIME).withDelay(HELD))
                    .issueTokens(LIFETIME);
            CompletableFuture<AccessToken> call = f.manager.tokenAsync(KEY).toCompletableFuture();
            Await.until("the IdP holds the request", () -> f.idp.requestCount() == 1);
            f.clock.advance(EXPIRED_AFTER.plusSeconds(10));
            Await.until("the IdP holds the one new request", () -> f.idp.requestCount() == 2);
            f.clock.advance(EXPIRED_AFTER.plusSeconds(10));

            ExecutionException e = catchThrowableOfType(ExecutionException.class, () -> call.get(20, TimeUnit.SECONDS));
            f.registerIssuedTokens();

            assertThat(e.getCause()).isInstanceOfSatisfying(TokenException.class, te -> {
                assertThat(te.kind()).isEqualTo(FailureKind.TIMEOUT);
                assertThat(te.getMessage()).contains("usable life had passed");
                scanner.seen(te);
            });
            assertThat(f.idp.requestCount()).isEqualTo(2);
            assertThat(f.manager.status(KEY).hasToken()).isFalse();
        }
    }
}
