package dev.tokenkeeper.application;

import dev.tokenkeeper.testsupport.Await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Freshness;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenStatus;
import dev.tokenkeeper.testsupport.TestClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class TokenManagerTest {

    static final TokenKey KEY = TokenKey.of("billing", "read", "write");
    static final Duration LIFETIME = Duration.ofMinutes(10);
    /** No jitter, one minute ahead, no skew: with a ten-minute token, refresh-due at 9:00, expired at 10:00. */
    static final ExpiryPolicy POLICY = ExpiryPolicy.builder()
            .refreshAhead(Duration.ofMinutes(1))
            .refreshAheadFraction(0)
            .clockSkew(Duration.ZERO)
            .jitter(0)
            .build();

    final TestClock clock = TestClock.fixed();
    final ScriptedEndpoint endpoint = new ScriptedEndpoint().lifetime(LIFETIME);
    final List<TokenEvent> events = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> closeables = new ArrayList<>();
    final ExecutorService callers = Executors.newFixedThreadPool(64);

    TokenManager.Builder builder() {
        return TokenManager.builder()
                .clock(clock)
                .expiryPolicy(POLICY)
                .client("billing", endpoint)
                .listener(events::add)
                .proactiveRefresh(false)
                .recordHits(true)
                .resilience(Resilience.none(Duration.ofSeconds(10))) // retries are ResilienceTest's subject
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

    static void await(BooleanSupplier condition, String what) {
        Await.until(what, condition);
    }

    @Nested
    @DisplayName("acquiring and caching")
    class Caching {

        @Test
        @DisplayName("the first call acquires a token; later calls are served from the near cache")
        void cachesToken() {
            TokenManager m = manager(builder());
            AccessToken first = m.token(KEY);
            AccessToken second = m.token(KEY);
            assertThat(second).isSameAs(first);
            assertThat(endpoint.requestCount()).isEqualTo(1);
            assertThat(m.stats().hits()).isEqualTo(1);
            assertThat(m.stats().misses()).isEqualTo(1);
        }

        @Test
        @DisplayName("keys that differ only in scope order share one token")
        void scopeOrder() {
            TokenManager m = manager(builder());
            AccessToken a = m.token(TokenKey.of("billing", "read", "write"));
            AccessToken b = m.token(TokenKey.of("billing", "write", "read"));
            assertThat(b).isSameAs(a);
            assertThat(endpoint.requestCount()).isEqualTo(1);
        }

        @Test
        @DisplayName("the request carries the key's grant and scopes; granted scopes default to the requested ones")
        void requestShape() {
            TokenManager m = manager(builder());
            AccessToken t = m.token(KEY);
            assertThat(endpoint.requests().get(0).grant()).isEqualTo(Grant.ClientCredentials.INSTANCE);
            assertThat(endpoint.requests().get(0).key()).isEqualTo(KEY);
            assertThat(t.scopes()).containsExactlyInAnyOrder("read", "write");
        }

        @Test
        @DisplayName("expiry is counted from when the request was sent, not from when the answer came")
        void expiryFromSend() throws Exception {
            endpoint.hold(true);
            TokenManager m = manager(builder());
            Instant sent = clock.instant();
            CompletableFuture<AccessToken> f = m.tokenAsync(KEY).toCompletableFuture();
            await(() -> endpoint.heldCount() == 1, "the request is sent");
            clock.advance(Duration.ofSeconds(7)); // a slow IdP
            endpoint.releaseAll();
            AccessToken t = f.join();
            assertThat(t.issuedAt()).isEqualTo(sent);
            assertThat(t.expiresAt()).isEqualTo(sent.plus(LIFETIME));
        }

        @Test
        @DisplayName("regression: AcquisitionSucceeded is raised after the new token is installed")
        void successEventAfterInstall() throws Exception {
            java.util.concurrent.atomic.AtomicReference<TokenManager> ref = new java.util.concurrent.atomic.AtomicReference<>();
            List<Boolean> installed = new CopyOnWriteArrayList<>();
            TokenManager m = manager(builder().listener(e -> {
                if (e instanceof TokenEvent.AcquisitionSucceeded ok) {
                    installed.add(ok.expiresAt().equals(ref.get().status(KEY).expiresAt()));
                }
            }));
            ref.set(m);
            m.token(KEY);
            await(() -> installed.size() == 1, "the first success event is raised");
            clock.advance(LIFETIME);
            m.token(KEY);
            await(() -> installed.size() == 2, "both success events are raised");
            assertThat(installed).containsExactly(true, true);
        }

        @Test
        @DisplayName("a handle bound to a key serves the same tokens as the manager, across refreshes and invalidation")
        void handle() {
            TokenManager m = manager(builder());
            TokenManager.Handle h = m.handle(KEY);
            AccessToken first = h.token();
            assertThat(m.token(KEY)).isSameAs(first);
            clock.advance(LIFETIME);
            AccessToken second = h.token();
            assertThat(second.sameValueAs(first)).isFalse();
            m.invalidate(KEY);
            assertThat(h.token().sameValueAs(second)).isFalse();
            assertThat(endpoint.requestCount()).isEqualTo(3);
            assertThat(h.toString()).contains("billing");
            assertThatThrownBy(() -> m.handle(TokenKey.of("payroll"))).isInstanceOf(ConfigurationException.class);
        }

        @Test
        @DisplayName("an unknown client is a configuration error naming the registered clients")
        void unknownClient() {
            TokenManager m = manager(builder());
            assertThatThrownBy(() -> m.token(TokenKey.of("payroll")))
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("payroll")
                    .hasMessageContaining("[billing]");
        }

        @Test
        @DisplayName("a cached token comes back as an already completed stage, the same one each time")
        void asyncCached() {
            TokenManager m = manager(builder());
            AccessToken t = m.token(KEY);
            var s1 = m.tokenAsync(KEY);
            var s2 = m.tokenAsync(KEY);
            assertThat(s1 == s2).as("the same stage").isTrue();
            assertThat(s1.toCompletableFuture().getNow(null)).isSameAs(t);
        }

        @Test
        @DisplayName("a failed grant reaches the caller as a typed error, with the server's kind")
        void failure() {
            endpoint.failAll(FailureKind.INVALID_CLIENT);
            TokenManager m = manager(builder());
            assertThatThrownBy(() -> m.token(KEY))
                    .isInstanceOfSatisfying(TokenException.class, e -> assertThat(e.kind())
                            .isEqualTo(FailureKind.INVALID_CLIENT));
            assertThat(m.status(KEY).lastFailure()).contains(FailureKind.INVALID_CLIENT);
            assertThat(m.tokenAsync(KEY).toCompletableFuture())
                    .failsWithin(Duration.ofSeconds(10))
                    .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .havingCause()
                    .isInstanceOf(TokenException.class);
        }
    }

    @Nested
    @DisplayName("concurrency")
    class Concurrency {

        @Test
        @DisplayName("64 threads asking for the same missing key cause exactly one token request")
        void singleFlight() throws Exception {
            endpoint.hold(true);
            TokenManager m = manager(builder());
            CountDownLatch start = new CountDownLatch(1);
            List<Future<AccessToken>> results = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                results.add(callers.submit(() -> {
                    start.await();
                    return m.token(KEY);
                }));
            }
            start.countDown();
            await(() -> m.stats().misses() + m.stats().hits() == 64, "all 64 callers are waiting");
            await(() -> endpoint.heldCount() == 1, "the one request is sent");
            assertThat(endpoint.releaseAll()).isEqualTo(1);
            Set<AccessToken> distinct = ConcurrentHashMap.newKeySet();
            for (Future<AccessToken> f : results) {
                distinct.add(f.get(10, TimeUnit.SECONDS));
            }
            assertThat(distinct).hasSize(1);
            assertThat(endpoint.requestCount()).isEqualTo(1);
        }

        @Test
        @DisplayName("while refresh-due, callers keep getting the old token and exactly one refresh runs")
        void refreshDue() throws Exception {
            TokenManager m = manager(builder());
            AccessToken old = m.token(KEY);
            endpoint.hold(true);
            clock.advance(Duration.ofMinutes(9).plusSeconds(30)); // refresh-due, not expired
            assertThat(m.status(KEY).freshness()).isEqualTo(Freshness.REFRESH_DUE);
            List<Future<AccessToken>> results = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                results.add(callers.submit(() -> m.token(KEY)));
            }
            for (Future<AccessToken> f : results) {
                assertThat(f.get(10, TimeUnit.SECONDS)).isSameAs(old);
            }
            await(() -> endpoint.heldCount() == 1, "the refresh is sent");
            assertThat(endpoint.requestCount()).isEqualTo(2); // the first token and one refresh
            endpoint.releaseAll();
            await(() -> !m.token(KEY).sameValueAs(old), "the refreshed token is served");
            assertThat(endpoint.requestCount()).isEqualTo(2);
        }

        @Test
        @DisplayName("an expired token is never served: callers wait for the new one")
        void neverExpired() throws Exception {
            TokenManager m = manager(builder().acquireTimeout(Duration.ofMillis(300)));
            AccessToken old = m.token(KEY);
            endpoint.hold(true);
            clock.advance(LIFETIME); // expired
            assertThatThrownBy(() -> m.token(KEY))
                    .isInstanceOfSatisfying(TokenException.class, e -> assertThat(e.kind())
                            .isEqualTo(FailureKind.TIMEOUT));
            Future<AccessToken> waiting = callers.submit(() -> m.token(KEY));
            endpoint.releaseAll();
            AccessToken fresh = waiting.get(10, TimeUnit.SECONDS);
            assertThat(fresh.sameValueAs(old)).isFalse();
            assertThat(POLICY.freshness(fresh, clock.instant())).isEqualTo(Freshness.FRESH);
        }

        @Test
        @DisplayName("many threads over many lifetimes with a moving clock never receive an expired token")
        void neverExpiredUnderLoad() throws Exception {
            TokenManager m = manager(builder());
            List<Future<Integer>> workers = new ArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            java.util.concurrent.atomic.AtomicLong calls = new java.util.concurrent.atomic.AtomicLong();
            for (int i = 0; i < 16; i++) {
                workers.add(callers.submit(() -> {
                    start.await();
                    int bad = 0;
                    for (int j = 0; j < 2_000; j++) {
                        long before = clock.millis(); // the clock only moves forward
                        AccessToken t = m.token(KEY);
                        if (t.expiresAt().toEpochMilli() <= before) {
                            bad++;
                        }
                        calls.incrementAndGet();
                    }
                    return bad;
                }));
            }
            start.countDown();
            for (int step = 0; step < 200; step++) {
                clock.advance(Duration.ofSeconds(15)); // 200 × 15 s = 5 lifetimes
                // callers interleave with the moving clock: each step waits for some calls at the new time
                long target = Math.min(calls.get() + 16, 16 * 2_000);
                while (calls.get() < target) {
                    Thread.onSpinWait();
                }
            }
            int bad = 0;
            for (Future<Integer> w : workers) {
                bad += w.get(30, TimeUnit.SECONDS);
            }
            assertThat(bad).isZero();
        }
    }

    @Nested
    @DisplayName("background refresh")
    class Background {

        @Test
        @DisplayName("a failed background refresh keeps the current token in service and backs off")
        void failureKeepsToken() throws Exception {
            TokenManager m = manager(builder().failureBackoff(Duration.ofSeconds(5)));
            AccessToken old = m.token(KEY);
            endpoint.failAll(FailureKind.SERVER_ERROR);
            clock.advance(Duration.ofMinutes(9).plusSeconds(10));
            assertThat(m.token(KEY)).isSameAs(old);
            await(() -> m.status(KEY).lastFailure().isPresent(), "the refresh has failed");
            int after = endpoint.requestCount();
            for (int i = 0; i < 100; i++) {
                assertThat(m.token(KEY)).isSameAs(old);
            }
            assertThat(endpoint.requestCount()).as("no retry inside the back-off").isEqualTo(after);
            clock.advance(Duration.ofSeconds(6));
            endpoint.failWith(null);
            m.token(KEY);
            await(() -> !m.token(KEY).sameValueAs(old), "the refresh after the back-off succeeds");
            assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(
                    TokenEvent.AcquisitionFailed.class, f -> assertThat(f.background()).isTrue()));
        }

        @Test
        @DisplayName("a caller whose token expired during a failing background refresh gets a fresh flight, not that failure")
        void expiredCallerDoesNotInheritBackgroundFailure() throws Exception {
            TokenManager m = manager(builder());
            AccessToken old = m.token(KEY);
            endpoint.hold(true);
            clock.advance(Duration.ofMinutes(9).plusSeconds(30)); // refresh-due: a background refresh starts
            assertThat(m.token(KEY)).isSameAs(old);
            await(() -> endpoint.heldCount() == 1, "the background refresh is sent");
            clock.advance(Duration.ofMinutes(1)); // now expired: the caller must wait
            Future<AccessToken> waiting = callers.submit(() -> m.token(KEY));
            await(() -> m.stats().misses() == 2, "the caller joined the background flight");
            endpoint.hold(false); // the IdP recovers: later requests are answered at once
            assertThat(endpoint.failHeld(new TokenException(FailureKind.SERVER_ERROR, "503 during the outage")))
                    .as("the background attempt fails").isEqualTo(1);
            AccessToken fresh = waiting.get(10, TimeUnit.SECONDS);
            assertThat(fresh.sameValueAs(old)).isFalse();
            assertThat(endpoint.requestCount()).isEqualTo(3); // first token, failed refresh, the caller's flight
        }

        @Test
        @DisplayName("the proactive sweep refreshes a used key once it is refresh-due, and skips idle keys")
        void sweep() throws Exception {
            TokenManager m = manager(builder().idleTimeout(Duration.ofMinutes(5)));
            AccessToken old = m.token(KEY);
            assertThat(m.refreshDueTokens()).isZero();
            clock.advance(Duration.ofMinutes(8));
            m.token(KEY); // used a minute before it becomes refresh-due
            clock.advance(Duration.ofMinutes(1).plusSeconds(1));
            assertThat(m.refreshDueTokens()).isEqualTo(1);
            await(() -> m.status(KEY).freshness() == Freshness.FRESH, "the sweep's refresh lands");
            assertThat(m.token(KEY).sameValueAs(old)).isFalse();
            // now nobody uses the key for longer than the idle timeout
            m.refreshDueTokens(); // notes the use above
            clock.advance(Duration.ofMinutes(9).plusSeconds(30));
            assertThat(m.refreshDueTokens()).isZero();
            assertThat(endpoint.requestCount()).isEqualTo(2);
        }
    }

    @Nested
    @DisplayName("refresh tokens")
    class RefreshTokens {

        @Test
        @DisplayName("a token with a refresh token is refreshed with the refresh-token grant")
        void usesRefreshGrant() throws Exception {
            endpoint.refreshToken("refresh-1");
            TokenManager m = manager(builder());
            AccessToken old = m.token(KEY);
            clock.advance(LIFETIME);
            AccessToken fresh = m.token(KEY);
            assertThat(fresh.sameValueAs(old)).isFalse();
            assertThat(endpoint.requests().get(1).grant()).isInstanceOf(Grant.RefreshToken.class);
        }

        @Test
        @DisplayName("invalid_grant on refresh falls back to the primary grant and the caller still succeeds")
        void invalidGrantFallsBack() {
            endpoint.refreshToken("refresh-1");
            TokenManager m = manager(builder());
            m.token(KEY);
            endpoint.failWith(r -> r.grant() instanceof Grant.RefreshToken
                    ? new TokenException(FailureKind.INVALID_GRANT, "refresh token revoked")
                    : null);
            clock.advance(LIFETIME);
            AccessToken t = m.token(KEY);
            assertThat(t).isNotNull();
            assertThat(endpoint.requests()).extracting(r -> r.grant().grantType())
                    .containsExactly("client_credentials", "refresh_token", "client_credentials");
        }

        @Test
        @DisplayName("a server that does not rotate the refresh token keeps the old one in force")
        void keepsUnrotatedRefreshToken() {
            endpoint.refreshToken("refresh-1");
            TokenManager m = manager(builder());
            m.token(KEY);
            endpoint.refreshToken(null);
            clock.advance(LIFETIME);
            AccessToken t = m.token(KEY);
            assertThat(t.refreshToken()).isPresent();
            assertThat(t.refreshToken().get().reveal()).isEqualTo("refresh-1");
        }
    }

    @Nested
    @DisplayName("invalidation")
    class Invalidation {

        @Test
        @DisplayName("a rejected token's refresh token is kept for the next grant")
        void rejectedKeepsRefreshToken() {
            endpoint.refreshToken("refresh-1");
            TokenManager m = manager(builder());
            AccessToken first = m.token(KEY);
            assertThat(m.invalidate(KEY, first)).isTrue();
            m.token(KEY);
            assertThat(endpoint.requests()).extracting(r -> r.grant().grantType())
                    .containsExactly("client_credentials", "refresh_token");
            m.invalidate(KEY); // a full invalidation forgets it
            m.token(KEY);
            assertThat(endpoint.requests().get(2).grant().grantType()).isEqualTo("client_credentials");
        }

        @Test
        @DisplayName("a rejected token is dropped only while it is still the current one")
        void onlyIfCurrent() {
            TokenManager m = manager(builder());
            AccessToken first = m.token(KEY);
            assertThat(m.invalidate(KEY, first)).isTrue();
            AccessToken second = m.token(KEY);
            assertThat(m.invalidate(KEY, first)).as("a stale rejection").isFalse();
            assertThat(m.token(KEY)).isSameAs(second);
            assertThat(endpoint.requestCount()).isEqualTo(2);
        }

        @Test
        @DisplayName("a caller that misses while a rejected token is deleted from the store does not load it back for good")
        void rejectedTokenIsNotLoadedBack() throws Exception {
            MapStore store = new MapStore(clock, false);
            TokenManager m = manager(builder().store(store));
            AccessToken first = m.token(KEY);
            await(() -> store.tokens.size() == 1, "the token is saved");
            CountDownLatch deleting = new CountDownLatch(1);
            CountDownLatch goOn = new CountDownLatch(1);
            store.beforeDelete = () -> {
                deleting.countDown();
                try {
                    goOn.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            ExecutorService other = Executors.newSingleThreadExecutor();
            try {
                Future<Boolean> dropping = other.submit(() -> m.invalidate(KEY, first));
                assertThat(deleting.await(10, TimeUnit.SECONDS)).as("the delete is under way").isTrue();
                m.token(KEY); // a caller in between may still get the rejected token, as every caller before the 401 did
                goOn.countDown();
                assertThat(dropping.get(10, TimeUnit.SECONDS)).isTrue();
            } finally {
                store.beforeDelete = null;
                other.shutdownNow();
            }

            assertThat(m.token(KEY).sameValueAs(first)).as("the rejected token is served again after it was dropped").isFalse();
        }

        @Test
        @DisplayName("a token rejected while its flight is still saving it is not left in the store")
        void rejectedWhileSavedIsNotSavedForGood() throws Exception {
            MapStore store = new MapStore(clock, false);
            CountDownLatch saving = new CountDownLatch(1);
            CountDownLatch goOn = new CountDownLatch(1);
            store.beforeSave = () -> {
                saving.countDown();
                try {
                    goOn.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            TokenManager m = manager(builder().store(store));
            AccessToken first = m.token(KEY); // handed out before it is saved
            assertThat(saving.await(10, TimeUnit.SECONDS)).as("the save is under way").isTrue();

            assertThat(m.invalidate(KEY, first)).isTrue(); // the resource server refused it at once
            store.beforeSave = null;
            goOn.countDown();
            await(() -> store.leases.isEmpty(), "the flight has saved and released its lease");

            assertThat(m.token(KEY).sameValueAs(first)).as("the rejected token is served again from the store").isFalse();
        }

        @Test
        @DisplayName("invalidateAsync answers at once without a store, and only while the token is current")
        void asyncWithoutAStoreIsInline() {
            TokenManager m = manager(builder());
            AccessToken first = m.token(KEY);
            CompletableFuture<Boolean> dropped = m.invalidateAsync(KEY, first).toCompletableFuture();
            assertThat(dropped).isCompletedWithValue(true); // the near cache alone: nothing to wait for
            AccessToken second = m.token(KEY);
            assertThat(m.invalidateAsync(KEY, first).toCompletableFuture()).isCompletedWithValue(false);
            assertThat(m.token(KEY)).isSameAs(second);
        }

        @Test
        @DisplayName("invalidateAsync deletes from a store on the manager's executor, never on the caller's thread")
        void asyncWithAStoreRunsOnTheExecutor() {
            MapStore store = new MapStore(clock, false);
            ExecutorService pool = Executors.newSingleThreadExecutor();
            AtomicBoolean hold = new AtomicBoolean();
            List<Runnable> held = new CopyOnWriteArrayList<>();
            try {
                TokenManager m = manager(builder().store(store).executor(task -> {
                    if (hold.get()) {
                        held.add(task);
                    } else {
                        pool.execute(task);
                    }
                }));
                AccessToken first = m.token(KEY);
                await(() -> store.tokens.size() == 1, "the token is saved");
                hold.set(true); // the manager's executor runs nothing now

                CompletableFuture<Boolean> dropped = m.invalidateAsync(KEY, first).toCompletableFuture();

                assertThat(dropped).as("nothing was done on the caller's thread").isNotDone();
                assertThat(store.tokens).hasSize(1);
                held.forEach(Runnable::run);
                assertThat(dropped).isCompletedWithValue(true);
                assertThat(store.tokens).isEmpty();
            } finally {
                pool.shutdownNow();
            }
        }

        @Test
        @DisplayName("invalidate clears the near cache and the store")
        void clearsEverywhere() {
            MapStore store = new MapStore(clock, false);
            TokenManager m = manager(builder().store(store));
            m.token(KEY);
            await(() -> store.tokens.size() == 1, "the token is saved (just after the caller has it)");
            m.invalidate(KEY);
            assertThat(store.tokens).isEmpty();
            m.token(KEY);
            assertThat(endpoint.requestCount()).isEqualTo(2);
        }
    }

    @Nested
    @DisplayName("with a store")
    class WithStore {

        @Test
        @DisplayName("the store holds only sealed bytes: no token value in clear")
        void sealed() {
            MapStore store = new MapStore(clock, false);
            TokenManager m = manager(builder().store(store));
            AccessToken t = m.token(KEY);
            await(() -> store.tokens.size() == 1, "the token is saved");
            byte[] bytes = store.tokens.values().iterator().next().bytes();
            assertThat(new String(bytes, StandardCharsets.ISO_8859_1)).doesNotContain(t.value().reveal()).doesNotContain("billing");
        }

        @Test
        @DisplayName("a second manager on the same store reuses the token instead of requesting one")
        void sharedStore() {
            MapStore store = new MapStore(clock, true);
            SealingKeys keys = SealingKeys.parse(SealingKeys.generateSpec("k1"));
            TokenManager a = manager(builder().store(store).sealingKeys(keys));
            TokenManager b = manager(builder().store(store).sealingKeys(keys));
            AccessToken t = a.token(KEY);
            assertThat(b.token(KEY)).isEqualTo(t);
            assertThat(endpoint.requestCount()).isEqualTo(1);
            assertThat(b.status(KEY).source()).isEqualTo(TokenStatus.Source.STORE);
        }

        @Test
        @DisplayName("clients of the same name but another identity (IdP, client id) do not share stored tokens")
        void identitySeparatesStoredTokens() {
            MapStore store = new MapStore(clock, true);
            SealingKeys keys = SealingKeys.parse(SealingKeys.generateSpec("k1"));
            TokenManager a = manager(TokenManager.builder().clock(clock).expiryPolicy(POLICY).proactiveRefresh(false)
                    .client(ClientRegistration.clientCredentials("billing", endpoint).withIdentity("https://idp-a/token a"))
                    .store(store).sealingKeys(keys));
            TokenManager b = manager(TokenManager.builder().clock(clock).expiryPolicy(POLICY).proactiveRefresh(false)
                    .client(ClientRegistration.clientCredentials("billing", endpoint).withIdentity("https://idp-b/token b"))
                    .store(store).sealingKeys(keys));
            TokenManager a2 = manager(TokenManager.builder().clock(clock).expiryPolicy(POLICY).proactiveRefresh(false)
                    .client(ClientRegistration.clientCredentials("billing", endpoint).withIdentity("https://idp-a/token a"))
                    .store(store).sealingKeys(keys));
            AccessToken fromA = a.token(KEY);
            assertThat(b.token(KEY).sameValueAs(fromA)).isFalse();
            assertThat(a2.token(KEY)).isEqualTo(fromA);
            assertThat(endpoint.requestCount()).isEqualTo(2);
            await(() -> store.tokens.size() == 2, "both tokens are saved");
        }

        @Test
        @DisplayName("a persistent store without sealing keys is a configuration error")
        void persistentNeedsKeys() {
            assertThatThrownBy(() -> builder().store(new MapStore(clock, true)).build())
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("sealingKeys");
        }

        @Test
        @DisplayName("a store that fails degrades to acquiring from the IdP, with events")
        void storeDown() {
            MapStore store = new MapStore(clock, false);
            store.down = true;
            TokenManager m = manager(builder().store(store));
            assertThat(m.token(KEY)).isNotNull();
            assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOf(TokenEvent.StoreFailed.class));
            assertThat(events.toString()).doesNotContain("10.0.0.1");
        }

        @Test
        @DisplayName("a corrupt entry is a miss plus an event, then overwritten")
        void corruptEntry() {
            MapStore store = new MapStore(clock, true);
            SealingKeys keys = SealingKeys.parse(SealingKeys.generateSpec("k1"));
            TokenManager a = manager(builder().store(store).sealingKeys(keys));
            a.token(KEY);
            await(() -> store.tokens.size() == 1, "the token is saved");
            var entry = store.tokens.entrySet().iterator().next();
            byte[] garbage = entry.getValue().bytes();
            garbage[garbage.length - 1] ^= 0x55;
            store.tokens.put(entry.getKey(), new dev.tokenkeeper.domain.spi.SealedToken(garbage, entry.getValue().expiresAt()));
            TokenManager b = manager(builder().store(store).sealingKeys(keys));
            assertThat(b.token(KEY)).isNotNull();
            assertThat(events).anySatisfy(e -> assertThat(e).isInstanceOf(TokenEvent.CorruptEntry.class));
            assertThat(endpoint.requestCount()).isEqualTo(2);
            TokenManager c = manager(builder().store(store).sealingKeys(keys));
            c.token(KEY);
            assertThat(endpoint.requestCount()).as("the corrupt entry was overwritten").isEqualTo(2);
        }

        @Test
        @DisplayName("regression: a failed grant releases the cluster lease before its waiters see the failure")
        void leaseReleasedBeforeFailureIsVisible() {
            MapStore store = new MapStore(clock, false);
            endpoint.failAll(FailureKind.SERVER_ERROR);
            TokenManager m = manager(builder().store(store));
            assertThatThrownBy(() -> m.token(KEY)).isInstanceOf(TokenException.class);
            // a caller that retries at once must not find the lease of a holder that is done
            assertThat(store.leases).isEmpty();
            endpoint.failWith(null);
            assertThat(m.token(KEY)).isNotNull();
            assertThat(events).noneMatch(e -> e instanceof TokenEvent.LeaseLost);
        }

        @Test
        @DisplayName("regression: a store that dies while an instance waits for the lease holder ends the wait at once")
        void storeDiesDuringLeaseWait() throws Exception {
            MapStore store = new MapStore(clock, true);
            SealingKeys keys = SealingKeys.parse(SealingKeys.generateSpec("k1"));
            endpoint.hold(true);
            TokenManager a = manager(builder().store(store).sealingKeys(keys));
            // the default lease wait (20 s) is longer than this caller's patience (10 s)
            TokenManager b = manager(builder().store(store).sealingKeys(keys));
            callers.submit(() -> a.token(KEY));
            await(() -> endpoint.heldCount() == 1, "a holds the lease and waits for the IdP");
            Future<AccessToken> fb = callers.submit(() -> b.token(KEY));
            await(() -> events.stream().anyMatch(e -> e instanceof TokenEvent.LeaseLost), "b waits for a's token");
            store.down = true;
            await(() -> endpoint.heldCount() == 2, "b gives up on the dead store and asks the IdP itself");
            endpoint.releaseAll();
            assertThat(fb.get(10, TimeUnit.SECONDS)).isNotNull();
        }

        @Test
        @DisplayName("an instance that loses the lease waits for the holder's token instead of requesting one")
        void leaseLoserWaits() throws Exception {
            MapStore store = new MapStore(clock, true);
            SealingKeys keys = SealingKeys.parse(SealingKeys.generateSpec("k1"));
            endpoint.hold(true);
            TokenManager a = manager(builder().store(store).sealingKeys(keys));
            TokenManager b = manager(builder().store(store).sealingKeys(keys));
            Future<AccessToken> fa = callers.submit(() -> a.token(KEY));
            await(() -> endpoint.heldCount() == 1, "a holds the lease and has sent its request");
            Future<AccessToken> fb = callers.submit(() -> b.token(KEY));
            await(() -> events.stream().anyMatch(e -> e instanceof TokenEvent.LeaseLost), "b lost the lease");
            endpoint.releaseAll();
            assertThat(fb.get(10, TimeUnit.SECONDS)).isEqualTo(fa.get(10, TimeUnit.SECONDS));
            assertThat(endpoint.requestCount()).isEqualTo(1);
        }
    }

    @Nested
    @DisplayName("hot path")
    class HotPath {

        @Test
        @DisplayName("serving a fresh cached token allocates nothing")
        void noAllocation() {
            TokenManager m = manager(builder());
            m.token(KEY);
            var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long tid = Thread.currentThread().getId();
            TokenManager.Handle h = m.handle(KEY);
            for (int i = 0; i < 200_000; i++) { // warm up, so the JIT has compiled the path
                m.token(KEY);
                m.tokenAsync(KEY);
                h.token();
            }
            long before = threads.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 100_000; i++) {
                m.token(KEY);
                m.tokenAsync(KEY);
                h.token();
            }
            long allocated = threads.getThreadAllocatedBytes(tid) - before;
            // 300 000 calls; the measurement itself may allocate a few objects
            assertThat(allocated).as("bytes allocated by 300 000 hot-path calls").isLessThan(4_096);
        }
    }
}
