package dev.tokenkeeper.bootstrap.resilience;

import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.testsupport.SecretScanner;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.adapter.http.VertxTokenEndpoint;
import dev.tokenkeeper.application.ClientRegistration;
import dev.tokenkeeper.application.Resilience;
import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.Freshness;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.spi.TokenEndpoint;
import dev.tokenkeeper.domain.api.TokenEventListener;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenResponse;
import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.testsupport.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * One real stack for a fault test: a {@link FakeIdp} on loopback, a real
 * {@link VertxTokenEndpoint} talking HTTP to it, and a real {@link TokenManager} on a
 * {@link TestClock}, without proactive sweeps: tests move the clock and start a due refresh with
 * {@link #startRefreshIfDue}, as a caller's call would. Every event is recorded; every secret is
 * registered with the scanner.
 */
final class Fixture implements AutoCloseable {

    static final String CLIENT = "orders";
    static final String CLIENT_ID = "orders-service";
    static final TokenKey KEY = TokenKey.of(CLIENT, "orders.read");
    /** Tokens live five minutes: with {@link #POLICY} they are refresh-due from 210 s and expired from 270 s. */
    static final Duration LIFETIME = Duration.ofMinutes(5);
    /** The defaults without jitter, so the refresh point is known: window 60 s, skew 30 s. */
    static final ExpiryPolicy POLICY = ExpiryPolicy.builder().jitter(0).build();
    static final Duration REFRESH_DUE_AFTER = Duration.ofSeconds(210);
    static final Duration EXPIRED_AFTER = Duration.ofSeconds(270);
    /**
     * The endpoint's own limit per exchange. Kept close to the attempt timeouts of {@link #quick()}: an
     * attempt that Failsafe gives up on still holds its pooled connection until this limit, so a much
     * longer one lets a hanging IdP fill the connection pool and delays the recovery.
     */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
    /** How long a test waits at most for something asynchronous; far above any expected time. */
    static final Duration PATIENCE = Duration.ofSeconds(20);

    final SecretScanner scanner;
    final String clientSecret;
    final TestClock clock = TestClock.fixed();
    final FakeIdp idp = FakeIdp.start();
    final VertxTokenEndpoint endpoint;
    final Events events = new Events();
    final AttemptLog attempts;
    final TokenManager manager;

    Fixture(SecretScanner scanner, Resilience resilience) {
        this(scanner, resilience, b -> b);
    }

    Fixture(SecretScanner scanner, Resilience resilience, UnaryOperator<TokenManager.Builder> more) {
        this(scanner, resilience, REQUEST_TIMEOUT, more);
    }

    Fixture(SecretScanner scanner, Resilience resilience, Duration requestTimeout,
            UnaryOperator<TokenManager.Builder> more) {
        warmUp();
        this.scanner = scanner;
        this.clientSecret = scanner.secret("fit-secret-" + UUID.randomUUID());
        this.endpoint = VertxTokenEndpoint.builder(idp.tokenUri(), CLIENT_ID, Secret.of(clientSecret))
                .connectTimeout(Duration.ofMillis(500))
                .requestTimeout(requestTimeout)
                .build();
        this.attempts = new AttemptLog(endpoint);
        this.manager = more.apply(TokenManager.builder()
                        .clock(clock)
                        .expiryPolicy(POLICY)
                        .client(ClientRegistration.clientCredentials(CLIENT, attempts))
                        .resilience(resilience)
                        .proactiveRefresh(false)
                        .listener(events))
                .build();
    }

    /** The settings most tests use: three quick attempts, short timeouts, a breaker after five failures. */
    static Resilience quick() {
        return new Resilience(dev.tokenkeeper.domain.RetryStrategy.fixed(Duration.ofMillis(20), 3),
                Duration.ofMillis(700), Duration.ofSeconds(2), 5, Duration.ofMillis(300), 1);
    }

    private static boolean warm;

    /**
     * Sends one token request through a throwaway endpoint, once per JVM: the first Vert.x request
     * loads Netty and can take a second on a busy machine, which the short attempt timeouts of these
     * tests are not meant to absorb.
     */
    private static synchronized void warmUp() {
        if (warm) {
            return;
        }
        try (FakeIdp server = FakeIdp.start();
                VertxTokenEndpoint e = VertxTokenEndpoint.builder(server.tokenUri(), "warm-up", Secret.of("warm-up"))
                        .build()) {
            server.issueTokens(LIFETIME);
            e.request(new TokenRequest(KEY, dev.tokenkeeper.domain.spi.Grant.ClientCredentials.INSTANCE))
                    .toCompletableFuture().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            warm = true;
        } catch (Exception e) {
            throw new AssertionError("warm-up request failed", e);
        }
    }

    /** Gets the first token while the IdP is healthy, at the clock's start. */
    AccessToken firstToken() {
        idp.issueTokens(LIFETIME);
        AccessToken t = manager.token(KEY);
        assertThat(idp.requestCount()).isEqualTo(1);
        registerIssuedTokens();
        return t;
    }

    void registerIssuedTokens() {
        idp.issuedTokens().forEach(scanner::secret);
    }

    @Override
    public void close() {
        registerIssuedTokens();
        manager.close();
        endpoint.close();
        idp.close();
    }

    /** The endpoint as the manager sees it: the real one, noting the (real) time each attempt is sent. */
    static final class AttemptLog implements TokenEndpoint {
        private final TokenEndpoint delegate;
        private final List<Long> sentAtNanos = new CopyOnWriteArrayList<>();

        AttemptLog(TokenEndpoint delegate) {
            this.delegate = delegate;
        }

        @Override
        public CompletionStage<TokenResponse> request(TokenRequest request) {
            sentAtNanos.add(System.nanoTime());
            return delegate.request(request);
        }

        @Override
        public CompletionStage<Void> revoke(Secret token, String tokenTypeHint) {
            return delegate.revoke(token, tokenTypeHint);
        }

        int count() {
            return sentAtNanos.size();
        }

        /** Milliseconds between the sending of attempt {@code from} and attempt {@code to} (0-based). */
        long gapMillis(int from, int to) {
            assertThat(sentAtNanos).as("attempts sent").hasSizeGreaterThan(to);
            return TimeUnit.NANOSECONDS.toMillis(sentAtNanos.get(to) - sentAtNanos.get(from));
        }
    }

    /** Every event the manager raised, in order. Thread-safe. */
    static final class Events implements TokenEventListener {
        private final List<TokenEvent> all = new CopyOnWriteArrayList<>();

        @Override
        public void onEvent(TokenEvent event) {
            all.add(event);
        }

        List<TokenEvent> all() {
            return List.copyOf(all);
        }

        <E extends TokenEvent> List<E> of(Class<E> type) {
            return all.stream().filter(type::isInstance).map(type::cast).toList();
        }

        <E extends TokenEvent> long count(Class<E> type, Predicate<? super E> which) {
            return of(type).stream().filter(which).count();
        }

        /** Waits, bounded by {@link #PATIENCE}, until at least {@code n} such events were raised. */
        <E extends TokenEvent> void await(Class<E> type, Predicate<? super E> which, long n) {
            Await.until(n + " " + type.getSimpleName() + " events", PATIENCE, () -> count(type, which) >= n);
        }

        /** How many background acquisitions have started. */
        long backgroundStarted() {
            return count(TokenEvent.AcquisitionStarted.class, TokenEvent.AcquisitionStarted::background);
        }

        /** How many background acquisitions have ended, either way. */
        long backgroundEnded() {
            return count(TokenEvent.AcquisitionSucceeded.class, TokenEvent.AcquisitionSucceeded::background)
                    + count(TokenEvent.AcquisitionFailed.class, TokenEvent.AcquisitionFailed::background);
        }

        /** Waits, bounded, until more than {@code endedBefore} background acquisitions have ended. */
        void awaitBackgroundEnded(long endedBefore) {
            Await.until("a background refresh ended", PATIENCE, () -> backgroundEnded() > endedBefore);
        }
    }

    /**
     * What callers got: how many calls, how many failed, and how many were handed a token that was
     * already expired when the call began, by the server's word ({@code expiresAt} at or before the
     * clock reading taken before the call) or by the expiry policy.
     */
    static final class Tally {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger failures = new AtomicInteger();
        final AtomicInteger expiredByServer = new AtomicInteger();
        final AtomicInteger expiredByPolicy = new AtomicInteger();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final List<AccessToken> served = new CopyOnWriteArrayList<>();

        AccessToken call(Fixture f) {
            Instant before = f.clock.instant();
            calls.incrementAndGet();
            try {
                AccessToken t = f.manager.token(KEY);
                served.add(t);
                if (!t.expiresAt().isAfter(before)) {
                    expiredByServer.incrementAndGet();
                }
                if (POLICY.freshness(t, before) == Freshness.EXPIRED) {
                    expiredByPolicy.incrementAndGet();
                }
                return t;
            } catch (TokenException e) {
                failures.incrementAndGet();
                errors.add(e);
                f.scanner.seen(e);
                return null;
            }
        }

        void assertNoFailureAndNothingExpired() {
            assertThat(errors).as("failed caller requests").isEmpty();
            assertThat(failures.get()).as("failed caller requests").isZero();
            assertThat(expiredByServer.get()).as("tokens served past their expiry").isZero();
            assertThat(expiredByPolicy.get()).as("tokens served that the policy calls expired").isZero();
        }
    }

    /**
     * Waits, bounded, until the manager holds a token other than {@code old} for {@code key}. The
     * manager raises AcquisitionSucceeded just before it installs the token, so a test that saw the
     * event waits for this before asking for the new token.
     */
    static void awaitTokenOtherThan(TokenManager manager, TokenKey key, AccessToken old) {
        Await.until("a new token for " + key, PATIENCE, () -> {
            Instant expiresAt = manager.status(key).expiresAt();
            return expiresAt != null && !expiresAt.equals(old.expiresAt());
        });
    }

    /**
     * Starts the background refresh of {@code key} if it is refresh-due and none runs nor is held back
     * by a back-off: one call, as any caller's call on the hot path does. The manager must run its
     * work on the calling thread ({@code executor(Runnable::run)}, see {@link #SAME_THREAD}), so that
     * the refresh has started (its {@code AcquisitionStarted} raised) when this returns.
     *
     * @return whether a background refresh started
     */
    static boolean startRefreshIfDue(TokenManager manager, Events events, TokenKey key) {
        long before = events.backgroundStarted();
        manager.token(key);
        return events.backgroundStarted() > before;
    }

    /** For {@link #startRefreshIfDue}: the manager starts flights on the calling thread (grants still run on Failsafe's). */
    static final UnaryOperator<TokenManager.Builder> SAME_THREAD = b -> b.executor(Runnable::run);

    /** Waits in real time: only for what runs on the system clock (Failsafe's breaker delay, connection timeouts). */
    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
