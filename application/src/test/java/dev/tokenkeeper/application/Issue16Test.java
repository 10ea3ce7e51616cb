package dev.tokenkeeper.application;

import static dev.tokenkeeper.application.TokenManagerTest.KEY;
import static dev.tokenkeeper.application.TokenManagerTest.LIFETIME;
import static dev.tokenkeeper.application.TokenManagerTest.POLICY;
import static dev.tokenkeeper.application.TokenManagerTest.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tokenkeeper.application.internal.TokenCodec;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Freshness;
import dev.tokenkeeper.domain.RetryStrategy;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.spi.TokenStore;
import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.testsupport.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Regression tests for the core's items of issue 16 ("Harden the edges"), on injected time. */
class Issue16Test {

    final TestClock clock = TestClock.fixed();
    final ScriptedEndpoint endpoint = new ScriptedEndpoint().lifetime(LIFETIME);
    final List<TokenEvent> events = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> closeables = new ArrayList<>();
    final ExecutorService callers = Executors.newFixedThreadPool(32);
    final SealingKeys keys = SealingKeys.parse(SealingKeys.generateSpec("k1"));

    TokenManager.Builder builder() {
        return TokenManager.builder()
                .clock(clock)
                .expiryPolicy(POLICY)
                .client("billing", endpoint)
                .listener(events::add)
                .proactiveRefresh(false)
                .resilience(Resilience.none(Duration.ofSeconds(10)))
                .acquireTimeout(Duration.ofSeconds(10));
    }

    TokenManager manager(TokenManager.Builder b) {
        TokenManager m = b.build();
        closeables.add(m);
        return m;
    }

    @AfterEach
    void close() throws Exception {
        callers.shutdownNow();
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    static TokenException failure(Runnable call) {
        TokenException e = catchThrowableOfType(TokenException.class, call::run);
        assertThat(e).as("a TokenException").isNotNull();
        return e;
    }

    @Nested
    @DisplayName("item 7: a permanent failure is remembered per key for a growing time")
    class PermanentFailures {

        @Test
        @DisplayName("100 sequential callers with a wrong secret make one request; after the window exactly one more")
        void sequential() {
            endpoint.failAll(FailureKind.INVALID_CLIENT);
            TokenManager m = manager(builder());
            Instant t0 = clock.instant();
            for (int i = 0; i < 100; i++) {
                TokenException e = failure(() -> m.token(KEY));
                assertThat(e.kind()).isEqualTo(FailureKind.INVALID_CLIENT);
                if (i > 0) {
                    assertThat(e.getMessage()).contains("scripted INVALID_CLIENT").contains("remembered")
                            .contains("until " + t0.plusSeconds(1));
                    assertThat(e.retryAfter()).contains(Duration.ofSeconds(1));
                }
            }
            assertThat(endpoint.requestCount()).isEqualTo(1);
            assertThat(m.status(KEY).lastFailure()).contains(FailureKind.INVALID_CLIENT);
            assertThat(m.status(KEY).failingFastUntil()).contains(t0.plusSeconds(1));

            clock.advance(Duration.ofSeconds(1)); // the first window (1 s) is over
            assertThat(failure(() -> m.token(KEY)).kind()).isEqualTo(FailureKind.INVALID_CLIENT);
            assertThat(endpoint.requestCount()).isEqualTo(2);
            for (int i = 0; i < 50; i++) {
                failure(() -> m.token(KEY));
            }
            assertThat(endpoint.requestCount()).isEqualTo(2);
            assertThat(m.status(KEY).failingFastUntil()).as("doubled").contains(clock.instant().plusSeconds(2));

            clock.advance(Duration.ofSeconds(1));
            failure(() -> m.token(KEY));
            assertThat(endpoint.requestCount()).as("still inside the doubled window").isEqualTo(2);
            clock.advance(Duration.ofSeconds(1));
            failure(() -> m.token(KEY));
            assertThat(endpoint.requestCount()).isEqualTo(3);
        }

        @Test
        @DisplayName("20 concurrent callers with a wrong secret make one request")
        void concurrent() throws Exception {
            endpoint.failAll(FailureKind.UNAUTHORIZED_CLIENT);
            TokenManager m = manager(builder());
            CountDownLatch start = new CountDownLatch(1);
            List<Future<FailureKind>> results = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                results.add(callers.submit(() -> {
                    start.await();
                    return failure(() -> m.token(KEY)).kind();
                }));
            }
            start.countDown();
            for (Future<FailureKind> f : results) {
                assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo(FailureKind.UNAUTHORIZED_CLIENT);
            }
            assertThat(endpoint.requestCount()).isEqualTo(1);
        }

        @Test
        @DisplayName("a rotated secret ends the remembered failure at once: the next caller sends one request")
        void rotatedCredentialsEndTheWindow() {
            endpoint.failAll(FailureKind.INVALID_CLIENT);
            TokenManager m = manager(builder().permanentFailureBackoff(Duration.ofMinutes(1), Duration.ofMinutes(5)));
            for (int i = 0; i < 10; i++) {
                failure(() -> m.token(KEY));
            }
            assertThat(endpoint.requestCount()).isEqualTo(1);

            endpoint.rotateCredentials(); // the secret file was rewritten; the IdP takes the new secret
            endpoint.failWith(null);
            assertThat(m.token(KEY)).isNotNull();
            assertThat(endpoint.requestCount()).isEqualTo(2);
            assertThat(m.status(KEY).failingFastUntil()).isEmpty();
            assertThat(m.status(KEY).lastFailure()).isEmpty();
        }

        @Test
        @DisplayName("a rotation that is still wrong starts the window again at its first length")
        void rotatedButStillWrong() {
            endpoint.failAll(FailureKind.INVALID_CLIENT);
            TokenManager m = manager(builder().permanentFailureBackoff(Duration.ofMinutes(1), Duration.ofMinutes(5)));
            failure(() -> m.token(KEY));
            clock.advance(Duration.ofMinutes(1));
            failure(() -> m.token(KEY)); // second window: 2 min
            assertThat(endpoint.requestCount()).isEqualTo(2);
            endpoint.rotateCredentials();
            failure(() -> m.token(KEY));
            assertThat(endpoint.requestCount()).isEqualTo(3);
            assertThat(m.status(KEY).failingFastUntil()).contains(clock.instant().plus(Duration.ofMinutes(1)));
            for (int i = 0; i < 10; i++) {
                failure(() -> m.token(KEY));
            }
            assertThat(endpoint.requestCount()).isEqualTo(3);
        }

        @Test
        @DisplayName("the remembered time doubles up to the configured maximum; a success ends it")
        void growsAndResets() {
            endpoint.failAll(FailureKind.INVALID_SCOPE);
            TokenManager m = manager(builder().permanentFailureBackoff(Duration.ofSeconds(2), Duration.ofSeconds(5)));
            List<Duration> windows = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                failure(() -> m.token(KEY));
                Instant until = m.status(KEY).failingFastUntil().orElseThrow();
                windows.add(Duration.between(clock.instant(), until));
                clock.set(until);
            }
            assertThat(windows).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(5),
                    Duration.ofSeconds(5));
            endpoint.failWith(null);
            assertThat(m.token(KEY)).isNotNull();
            assertThat(m.status(KEY).failingFastUntil()).isEmpty();
            assertThat(m.status(KEY).lastFailure()).isEmpty();
            clock.advance(LIFETIME);
            endpoint.failAll(FailureKind.INVALID_SCOPE);
            failure(() -> m.token(KEY));
            assertThat(m.status(KEY).failingFastUntil()).as("back to the first window")
                    .contains(clock.instant().plusSeconds(2));
        }

        @Test
        @DisplayName("with a store: callers still read it (no token request) and take a token another instance put there")
        void storeStillRead() {
            MapStore store = new MapStore(clock, true);
            ScriptedEndpoint rejecting = new ScriptedEndpoint().lifetime(LIFETIME);
            rejecting.failAll(FailureKind.INVALID_CLIENT);
            TokenManager stale = manager(TokenManager.builder().clock(clock).expiryPolicy(POLICY).proactiveRefresh(false)
                    .client("billing", rejecting).store(store).sealingKeys(keys)
                    .permanentFailureBackoff(Duration.ofMinutes(1), Duration.ofMinutes(5)));
            for (int i = 0; i < 20; i++) {
                assertThat(failure(() -> stale.token(KEY)).kind()).isEqualTo(FailureKind.INVALID_CLIENT);
            }
            assertThat(rejecting.requestCount()).isEqualTo(1);
            TokenManager rotated = manager(builder().store(store).sealingKeys(keys)); // has the new secret
            AccessToken good = rotated.token(KEY);
            await(() -> store.tokens.size() == 1, "the good token is saved");
            assertThat(stale.token(KEY)).isEqualTo(good);
            assertThat(rejecting.requestCount()).isEqualTo(1);
            assertThat(stale.status(KEY).lastFailure()).isEmpty();
        }

        @Test
        @DisplayName("the builder refuses windows that make no sense, naming the setting")
        void builderValidation() {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> builder()
                            .permanentFailureBackoff(Duration.ofMinutes(10), Duration.ofMinutes(5)))
                    .isInstanceOf(dev.tokenkeeper.domain.ConfigurationException.class)
                    .hasMessageContaining("permanentFailureBackoff");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> builder()
                            .permanentFailureBackoff(Duration.ofSeconds(1), Duration.ofDays(2)))
                    .hasMessageContaining("maxPermanentFailureBackoff");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> builder()
                            .permanentFailureBackoff(Duration.ZERO, Duration.ofDays(1)))
                    .hasMessageContaining("permanentFailureBackoff");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> builder()
                            .refreshTokenLifetime(Duration.ofSeconds(Long.MAX_VALUE)))
                    .hasMessageContaining("refreshTokenLifetime");
        }

        @Test
        @DisplayName("invalidate and forgetFailures end the remembered failure at once")
        void invalidateAndForget() {
            endpoint.failAll(FailureKind.INVALID_CLIENT);
            TokenManager m = manager(builder());
            failure(() -> m.token(KEY));
            m.invalidate(KEY);
            failure(() -> m.token(KEY));
            assertThat(endpoint.requestCount()).isEqualTo(2);
            assertThat(m.forgetFailures("billing")).isEqualTo(1);
            endpoint.failWith(null); // the secret was fixed
            assertThat(m.token(KEY)).isNotNull();
            assertThat(endpoint.requestCount()).isEqualTo(3);
        }

        @Test
        @DisplayName("a still-valid token keeps being served while its refresh is refused; no request per caller")
        void validTokenStillServed() {
            TokenManager m = manager(builder().permanentFailureBackoff(Duration.ofMinutes(1), Duration.ofMinutes(5)));
            AccessToken old = m.token(KEY);
            endpoint.failAll(FailureKind.INVALID_CLIENT);
            clock.advance(Duration.ofMinutes(9).plusSeconds(1)); // refresh-due
            assertThat(m.token(KEY)).isSameAs(old);
            await(() -> m.status(KEY).lastFailure().isPresent(), "the background refresh was refused");
            for (int i = 0; i < 100; i++) {
                assertThat(m.token(KEY)).isSameAs(old);
                m.refreshDueTokens();
            }
            assertThat(endpoint.requestCount()).isEqualTo(2);
            clock.advance(Duration.ofSeconds(59)); // expired: callers fail fast with the remembered failure
            assertThat(failure(() -> m.token(KEY)).kind()).isEqualTo(FailureKind.INVALID_CLIENT);
            assertThat(endpoint.requestCount()).isEqualTo(2);
        }

        @Test
        @DisplayName("permanent failures count toward the client's circuit breaker, whose message names the last")
        void countsTowardBreaker() {
            endpoint.failAll(FailureKind.INVALID_CLIENT);
            TokenManager m = manager(builder()
                    .resilience(Resilience.none(Duration.ofSeconds(5)).withBreaker(3, Duration.ofMinutes(1), 1)));
            for (int i = 0; i < 3; i++) {
                failure(() -> m.token(KEY));
                clock.advance(Duration.ofMinutes(10)); // past any remembered window
            }
            assertThat(m.circuitState("billing")).isEqualTo(TokenEvent.CircuitState.OPEN);
            TokenException open = failure(() -> m.token(KEY));
            assertThat(open.kind()).isEqualTo(FailureKind.CIRCUIT_OPEN);
            assertThat(open.getMessage()).contains("INVALID_CLIENT");
            assertThat(endpoint.requestCount()).isEqualTo(3);
        }
    }

    @Nested
    @DisplayName("item 11: an answer that arrives after the token's usable life")
    class LateAnswers {

        @Test
        @DisplayName("is not served: one immediate new request, whose token is served")
        void expiredOnArrival() throws Exception {
            endpoint.hold(true);
            TokenManager m = manager(builder());
            CompletableFuture<AccessToken> f = m.tokenAsync(KEY).toCompletableFuture();
            await(() -> endpoint.heldCount() == 1, "the request is sent");
            clock.advance(LIFETIME.plusSeconds(5)); // the IdP answers after the token's whole life
            endpoint.hold(false);
            endpoint.releaseAll();
            AccessToken t = f.get(10, TimeUnit.SECONDS);
            assertThat(t.value().reveal()).isEqualTo("access-token-2");
            assertThat(POLICY.freshness(t, clock.instant())).isEqualTo(Freshness.FRESH);
            assertThat(endpoint.requestCount()).isEqualTo(2);
        }

        @Test
        @DisplayName("twice in a row: the caller gets a TIMEOUT after exactly two requests, never a third")
        void twiceLate() throws Exception {
            endpoint.hold(true);
            TokenManager m = manager(builder());
            CompletableFuture<AccessToken> f = m.tokenAsync(KEY).toCompletableFuture();
            await(() -> endpoint.heldCount() == 1, "the request is sent");
            clock.advance(LIFETIME);
            endpoint.releaseHeldNow();
            await(() -> endpoint.heldCount() == 1, "the one new request is sent");
            clock.advance(LIFETIME);
            endpoint.releaseHeldNow();
            ExecutionException e = catchThrowableOfType(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertThat(e.getCause()).isInstanceOfSatisfying(TokenException.class, te -> {
                assertThat(te.kind()).isEqualTo(FailureKind.TIMEOUT);
                assertThat(te.getMessage()).contains("usable life had passed").doesNotContain("access-token");
            });
            assertThat(endpoint.requestCount()).isEqualTo(2);
            assertThat(m.status(KEY).hasToken()).isFalse();
        }

        @Test
        @DisplayName("an answer that arrives fresh starts no refresh, even when the clock moves on right after callers have it")
        void freshOnArrivalStartsNoRefresh() throws Exception {
            // every step of the flight runs on this queue, drained by the test thread: deterministic.
            // The listener runs right after the caller got its token and moves the clock there, as a
            // caller that holds the token a long time does to a later clock read.
            java.util.concurrent.BlockingQueue<Runnable> steps = new java.util.concurrent.LinkedBlockingQueue<>();
            TokenManager m = manager(builder().executor(steps::add).listener(e -> {
                events.add(e);
                if (e instanceof TokenEvent.AcquisitionSucceeded) {
                    clock.advance(LIFETIME.plusSeconds(5));
                }
            }));
            CompletableFuture<AccessToken> f = m.tokenAsync(KEY).toCompletableFuture();
            for (Runnable step; (step = steps.poll(200, TimeUnit.MILLISECONDS)) != null; ) {
                step.run();
            }
            assertThat(f).isCompleted();
            assertThat(events).filteredOn(e -> e instanceof TokenEvent.AcquisitionStarted).hasSize(1);
            assertThat(endpoint.requestCount()).isEqualTo(1);
        }

        @Test
        @DisplayName("an answer that arrives refresh-due is served, and its refresh starts at once")
        void refreshDueOnArrival() throws Exception {
            endpoint.hold(true);
            TokenManager m = manager(builder());
            CompletableFuture<AccessToken> f = m.tokenAsync(KEY).toCompletableFuture();
            await(() -> endpoint.heldCount() == 1, "the request is sent");
            clock.advance(Duration.ofMinutes(9).plusSeconds(30)); // refresh-due at 9:00, expired at 10:00
            endpoint.releaseAll();
            AccessToken t = f.get(10, TimeUnit.SECONDS);
            assertThat(t.value().reveal()).isEqualTo("access-token-1");
            assertThat(POLICY.freshness(t, clock.instant())).isEqualTo(Freshness.REFRESH_DUE);
            await(() -> endpoint.heldCount() == 1, "its refresh is sent without waiting for another caller");
            endpoint.hold(false);
            endpoint.releaseAll();
            await(() -> !m.token(KEY).sameValueAs(t), "the refreshed token is served");
            assertThat(endpoint.requestCount()).isEqualTo(2);
        }
    }

    @Nested
    @DisplayName("item 12: a refresh token outlives its access token in the store")
    class RefreshTokens {

        @Test
        @DisplayName("a second manager on the store refreshes with a stored refresh token, never serving the expired token")
        void secondManagerRefreshes() {
            endpoint.refreshToken("refresh-1");
            MapStore store = new MapStore(clock, true);
            TokenManager a = manager(builder().store(store).sealingKeys(keys));
            AccessToken first = a.token(KEY);
            assertThat(first.refreshTokenExpiresAt()).as("the default bound: a day")
                    .contains(first.issuedAt().plus(TokenManager.DEFAULT_REFRESH_TOKEN_LIFETIME));
            await(() -> store.tokens.size() == 1, "the token is saved");
            assertThat(store.tokens.values().iterator().next().expiresAt())
                    .as("the entry lives as long as its refresh token").isEqualTo(first.refreshTokenExpiresAt().get());

            clock.advance(LIFETIME.plusHours(3)); // the access token is long dead, the refresh token is not
            endpoint.refreshToken(null); // the server keeps the refresh token in force without sending it again
            TokenManager b = manager(builder().store(store).sealingKeys(keys));
            AccessToken second = b.token(KEY);

            assertThat(second.sameValueAs(first)).isFalse();
            assertThat(POLICY.freshness(second, clock.instant())).isEqualTo(Freshness.FRESH);
            assertThat(endpoint.requests()).extracting(r -> r.grant().grantType())
                    .containsExactly("client_credentials", "refresh_token");
            assertThat(((Grant.RefreshToken) endpoint.requests().get(1).grant()).refreshToken().reveal())
                    .isEqualTo("refresh-1");
            assertThat(second.refreshTokenExpiresAt()).as("unrotated: it lives as long as it did")
                    .isEqualTo(first.refreshTokenExpiresAt());
        }

        @Test
        @DisplayName("the server's refresh_expires_in bounds the entry; past it, the primary grant runs")
        void serverStatedLifetime() {
            endpoint.refreshToken("refresh-1").refreshExpiresIn(Duration.ofMinutes(30));
            MapStore store = new MapStore(clock, true);
            TokenManager a = manager(builder().store(store).sealingKeys(keys));
            AccessToken first = a.token(KEY);
            assertThat(first.refreshTokenExpiresAt()).contains(first.issuedAt().plus(Duration.ofMinutes(30)));
            await(() -> store.tokens.size() == 1, "the token is saved");

            clock.advance(Duration.ofMinutes(20));
            AccessToken second = manager(builder().store(store).sealingKeys(keys)).token(KEY);
            assertThat(endpoint.requests().get(1).grant()).isInstanceOf(Grant.RefreshToken.class);
            await(() -> store.tokens.values().iterator().next().expiresAt()
                    .equals(second.refreshTokenExpiresAt().orElseThrow()), "the refreshed entry is saved");

            clock.advance(Duration.ofMinutes(31)); // the second refresh token (30 min from 20:00) has expired too
            manager(builder().store(store).sealingKeys(keys)).token(KEY);
            assertThat(endpoint.requests().get(2).grant()).isEqualTo(Grant.ClientCredentials.INSTANCE);
        }

        @Test
        @DisplayName("a manager whose own token expired refreshes with the newer refresh token another one stored")
        void newerStoredRefreshTokenWins() {
            MapStore store = new MapStore(clock, true);
            endpoint.refreshToken("refresh-a");
            TokenManager a = manager(builder().store(store).sealingKeys(keys));
            a.token(KEY);
            await(() -> store.tokens.size() == 1, "a's token is saved");
            clock.advance(LIFETIME);
            endpoint.refreshToken("refresh-b"); // the server rotates
            TokenManager b = manager(builder().store(store).sealingKeys(keys));
            b.token(KEY); // refreshes with refresh-a, stores a token carrying refresh-b
            Instant savedBy = clock.instant();
            await(() -> store.tokens.values().iterator().next().expiresAt()
                    .equals(savedBy.plus(TokenManager.DEFAULT_REFRESH_TOKEN_LIFETIME)), "b's token is saved");
            clock.advance(LIFETIME);
            a.token(KEY); // a's own entry holds the spent refresh-a; the store holds the newer refresh-b
            assertThat(endpoint.requests()).extracting(r -> r.grant() instanceof Grant.RefreshToken rt
                    ? rt.refreshToken().reveal() : "cc").containsExactly("cc", "refresh-a", "refresh-b");
        }

        @Test
        @DisplayName("a client whose only grant is a refresh token: a later process uses the stored (rotated) one")
        void refreshOnlyClient() {
            MapStore store = new MapStore(clock, true);
            endpoint.refreshToken("rotated-1");
            ClientRegistration refreshOnly =
                    new ClientRegistration("billing", endpoint, new Grant.RefreshToken(Secret.of("imported-initial")));
            TokenManager first = manager(TokenManager.builder().clock(clock).expiryPolicy(POLICY).proactiveRefresh(false)
                    .client(refreshOnly).store(store).sealingKeys(keys));
            first.token(KEY);
            first.close(); // waits for the save
            clock.advance(LIFETIME.plusHours(1));
            TokenManager later = manager(TokenManager.builder().clock(clock).expiryPolicy(POLICY).proactiveRefresh(false)
                    .client(refreshOnly).store(store).sealingKeys(keys));
            later.token(KEY);
            assertThat(endpoint.requests()).extracting(r -> ((Grant.RefreshToken) r.grant()).refreshToken().reveal())
                    .as("the spent initial token is not sent again").containsExactly("imported-initial", "rotated-1");
        }

        @Test
        @DisplayName("an imported refresh token that the server keeps in force (not sent again) stays with the token")
        void importedRefreshTokenKept() {
            TokenManager m = manager(TokenManager.builder().clock(clock).expiryPolicy(POLICY).proactiveRefresh(false)
                    .client(new ClientRegistration("billing", endpoint, new Grant.RefreshToken(Secret.of("imported")))));
            AccessToken t = m.token(KEY);
            assertThat(t.refreshToken()).map(Secret::reveal).contains("imported");
            assertThat(t.refreshTokenExpiresAt()).contains(t.issuedAt().plus(TokenManager.DEFAULT_REFRESH_TOKEN_LIFETIME));
        }

        @Test
        @DisplayName("the sealed format is versioned: entries without a refresh token expiry keep format 1")
        void codecVersions() {
            Instant t0 = clock.instant();
            AccessToken old = new AccessToken(Secret.of("at"), "Bearer", t0, t0.plusSeconds(60), Set.of("a"),
                    Secret.of("rt"));
            byte[] v1 = TokenCodec.encode(old);
            assertThat(v1[0]).isEqualTo((byte) 1);
            assertThat(TokenCodec.decode(v1)).isEqualTo(old);
            AccessToken withExpiry = new AccessToken(Secret.of("at"), "Bearer", t0, t0.plusSeconds(60), Set.of("a"),
                    Secret.of("rt"), t0.plusSeconds(3600));
            byte[] v2 = TokenCodec.encode(withExpiry);
            assertThat(v2[0]).isEqualTo((byte) 2);
            assertThat(TokenCodec.decode(v2)).isEqualTo(withExpiry);
            assertThat(TokenCodec.decode(v2).refreshTokenExpiresAt()).contains(t0.plusSeconds(3600));
        }
    }

    @Nested
    @DisplayName("item 13: a hung store does not hold callers hostage")
    class HungStore {

        @Test
        @DisplayName("callers get the token before the save returns; the lease is released only after it")
        void installBeforeSave() throws Exception {
            BlockingSaveStore store = new BlockingSaveStore(new MapStore(clock, true));
            TokenManager a = manager(builder().store(store).sealingKeys(keys));
            TokenManager b = manager(builder().store(store).sealingKeys(keys));

            AccessToken t = callers.submit(() -> a.token(KEY)).get(5, TimeUnit.SECONDS);

            assertThat(store.savesStarted.await(5, TimeUnit.SECONDS)).as("the save starts, and blocks").isTrue();
            assertThat(store.delegate.tokens).isEmpty();
            assertThat(store.delegate.leases).as("the lease is held until the save is done").hasSize(1);
            Future<AccessToken> other = callers.submit(() -> b.token(KEY)); // waits for a's token in the store
            await(() -> events.stream().anyMatch(e -> e instanceof TokenEvent.LeaseLost), "b waits for the holder");
            store.release.countDown();
            assertThat(other.get(10, TimeUnit.SECONDS)).isEqualTo(t);
            await(() -> store.delegate.leases.isEmpty(), "the lease is released after the save");
            assertThat(endpoint.requestCount()).isEqualTo(1);
        }

        @Test
        @DisplayName("a token that arrives refresh-due is refreshed once its own save is done, not after a lease wait against itself")
        void refreshDueWhileItsSaveRuns() throws Exception {
            BlockingSaveStore store = new BlockingSaveStore(new MapStore(clock, true));
            endpoint.hold(true);
            TokenManager m = manager(builder().store(store).sealingKeys(keys));
            CompletableFuture<AccessToken> f = m.tokenAsync(KEY).toCompletableFuture();
            await(() -> endpoint.heldCount() == 1, "the request is sent");
            clock.advance(Duration.ofMinutes(9).plusSeconds(30)); // refresh-due at 9:00, expired at 10:00
            endpoint.hold(false);
            endpoint.releaseAll();
            AccessToken first = f.get(10, TimeUnit.SECONDS);
            assertThat(store.savesStarted.await(5, TimeUnit.SECONDS)).as("the save starts, and blocks").isTrue();

            // while the flight saves and holds the lease, a caller is served the refresh-due token and
            // starts no refresh of its own (one would lose the lease to this flight and wait out leaseWait)
            assertThat(m.token(KEY)).isEqualTo(first);
            store.release.countDown();
            await(() -> endpoint.requestCount() == 2, "the refresh runs as soon as the save is done");
            await(() -> !m.token(KEY).sameValueAs(first), "the refreshed token is served");
            assertThat(events).noneMatch(e -> e instanceof TokenEvent.LeaseLost);
        }

        @Test
        @DisplayName("a token that turns refresh-due while its save runs is refreshed once the save is done, if a caller asked meanwhile")
        void turnsRefreshDueWhileItsSaveRuns() throws Exception {
            BlockingSaveStore store = new BlockingSaveStore(new MapStore(clock, true));
            TokenManager m = manager(builder().store(store).sealingKeys(keys));
            CompletableFuture<AccessToken> f = m.tokenAsync(KEY).toCompletableFuture();
            AccessToken first = f.get(10, TimeUnit.SECONDS); // arrived fresh
            assertThat(store.savesStarted.await(5, TimeUnit.SECONDS)).as("the save starts, and blocks").isTrue();

            clock.advance(Duration.ofMinutes(9).plusSeconds(30)); // refresh-due at 9:00
            assertThat(m.token(KEY)).isEqualTo(first); // asks while the flight still saves: nothing starts yet
            assertThat(endpoint.requestCount()).isEqualTo(1);
            store.release.countDown();
            // no further call: the ask made during the save is not lost when the flight ends
            await(() -> endpoint.requestCount() == 2, "the refresh asked for during the save runs after it");
            await(() -> !m.token(KEY).sameValueAs(first), "the refreshed token is served");
        }

        @Test
        @DisplayName("close() waits, bounded, for the save of a token already handed out")
        void closeWaitsForSave() throws Exception {
            BlockingSaveStore store = new BlockingSaveStore(new MapStore(clock, true));
            TokenManager m = builder().store(store).sealingKeys(keys).build();
            m.token(KEY);
            // the save must still be blocked while close() runs: it is released once this thread is
            // seen waiting inside close() (for the pending save), not after a guessed delay
            Thread closing = Thread.currentThread();
            callers.submit(() -> {
                Await.until("close() waits for the save", () -> closing.getState() == Thread.State.TIMED_WAITING
                        && java.util.Arrays.stream(closing.getStackTrace())
                                .anyMatch(f -> f.getMethodName().equals("awaitSaves")));
                store.release.countDown();
                return null;
            });
            m.close();
            assertThat(store.delegate.tokens).as("saved before close() returned").hasSize(1);
        }
    }

    @Nested
    @DisplayName("a 429 with a Retry-After beyond the deadline")
    class LongRetryAfter {

        @Test
        @DisplayName("is reported as RATE_LIMITED with its Retry-After, at once, not as a TIMEOUT")
        void rateLimitedNotTimeout() {
            endpoint.failWith(r -> new TokenException(FailureKind.RATE_LIMITED, "HTTP 429; retry after 120 s", null,
                    Duration.ofSeconds(120), 429, null));
            TokenManager m = manager(builder().resilience(Resilience.defaults()
                    .withRetry(RetryStrategy.fixed(Duration.ofMillis(10), 4))
                    .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(10))));
            long t0 = System.nanoTime();
            TokenException e = failure(() -> m.token(KEY));
            assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMITED);
            assertThat(e.retryAfter()).contains(Duration.ofSeconds(120));
            assertThat(e.httpStatus()).hasValue(429);
            assertThat(endpoint.requestCount()).isEqualTo(1);
            // the old code waited out the whole 10 s deadline (capped Retry-After: 30 s), then said TIMEOUT
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("no pointless wait").isLessThan(Duration.ofSeconds(5));
        }

        @Test
        @DisplayName("a deadline that runs out during a back-off pause reports the failure that caused it")
        void deadlineDuringPause() {
            endpoint.failAll(FailureKind.SERVER_ERROR);
            TokenManager m = manager(builder().resilience(Resilience.defaults()
                    .withRetry(RetryStrategy.fixed(Duration.ofSeconds(5), 3))
                    .withTimeouts(Duration.ofMillis(300), Duration.ofMillis(300))));
            TokenException e = failure(() -> m.token(KEY));
            assertThat(e.kind()).isEqualTo(FailureKind.SERVER_ERROR);
            assertThat(e.getMessage()).contains("deadline");
            assertThat(endpoint.requestCount()).isEqualTo(1);
        }
    }

    /** A real (in-test) store whose saves block until released, as a hung Redis or database would. */
    static final class BlockingSaveStore implements TokenStore {
        final MapStore delegate;
        final CountDownLatch savesStarted = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger saves = new AtomicInteger();

        BlockingSaveStore(MapStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public Optional<SealedToken> load(StoreKey key) {
            return delegate.load(key);
        }

        @Override
        public void save(StoreKey key, SealedToken token) {
            saves.incrementAndGet();
            savesStarted.countDown();
            try {
                if (!release.await(20, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("save not released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
            delegate.save(key, token);
        }

        @Override
        public boolean delete(StoreKey key) {
            return delegate.delete(key);
        }

        @Override
        public Optional<Lease> tryLease(StoreKey key, Duration ttl) {
            return delegate.tryLease(key, ttl);
        }

        @Override
        public boolean release(Lease lease) {
            return delegate.release(lease);
        }

        @Override
        public boolean extend(Lease lease, Duration ttl) {
            return delegate.extend(lease, ttl);
        }

        @Override
        public boolean isPersistent() {
            return true;
        }
    }
}
