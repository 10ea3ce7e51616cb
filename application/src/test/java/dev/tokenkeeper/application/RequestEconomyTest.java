package dev.tokenkeeper.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * How many token requests a holder makes, counted on virtual time (issue 11, section 3): the
 * refresh-ahead window and its jitter must not make tokenkeeper renew more often than a plain cache
 * that refreshes at the last moment, and short-lived tokens must not be renewed at a fraction of
 * their life.
 */
class RequestEconomyTest {

    static final TokenKey KEY = TokenManagerTest.KEY;
    static final Duration CALL_EVERY = Duration.ofMillis(100);

    final VirtualTime time = new VirtualTime();
    final List<TokenManager> managers = new ArrayList<>();
    final List<TokenEvent> events = new CopyOnWriteArrayList<>();
    int expiredServed;
    int calls;

    @AfterEach
    void close() {
        managers.forEach(TokenManager::close);
    }

    TokenManager manager(ScriptedEndpoint idp, ExpiryPolicy policy, long seed) {
        TokenManager m = time.on(TokenManager.builder())
                .expiryPolicy(policy)
                .client("billing", idp)
                .listener(events::add)
                .random(seeded(seed))
                .build();
        managers.add(m);
        return m;
    }

    /** Acquisitions a caller waited for (not in the background). */
    long foregroundAcquisitions() {
        return events.stream().filter(e -> e instanceof TokenEvent.AcquisitionSucceeded s && !s.background()).count();
    }

    static RandomGenerator seeded(long seed) {
        return new java.util.SplittableRandom(seed);
    }

    /** Every manager asked for the token every {@link #CALL_EVERY} for {@code d}. */
    void run(Duration d) {
        for (long t = 0; t < d.toMillis(); t += CALL_EVERY.toMillis()) {
            for (TokenManager m : managers) {
                AccessToken token = m.token(KEY);
                calls++;
                if (!token.expiresAt().isAfter(time.clock.instant())) {
                    expiredServed++;
                }
            }
            time.advance(CALL_EVERY);
        }
    }

    @Test
    @DisplayName("five-second tokens with the default policy: at most two requests per lifetime over a minute, none expired")
    void shortTokensWithDefaults() {
        Duration lifetime = Duration.ofSeconds(5);
        for (long seed = 1; seed <= 20; seed++) { // twenty independent jitter draws, one holder each
            managers.clear();
            ScriptedEndpoint own = new ScriptedEndpoint().lifetime(lifetime);
            TokenManager m = manager(own, ExpiryPolicy.defaults(), seed);
            run(Duration.ofSeconds(60));
            m.close();
            // 12 lifetimes pass in a minute: at most 2 requests each
            assertThat(own.requestCount()).as("requests in 60 s, jitter seed %d", seed).isLessThanOrEqualTo(24);
        }
        assertThat(expiredServed).isZero();
        assertThat(foregroundAcquisitions()).as("only each holder's first token is waited for").isEqualTo(20);
    }

    @Test
    @DisplayName("four instances with per-instance caches make no more requests than a cache refreshing at expiry minus skew, none expired")
    void perInstanceCachesNoWorseThanPlainCache() {
        // the stampede benchmark's margins: lifetime L, skew L/20, refresh 0.2 L ahead, default jitter
        Duration lifetime = Duration.ofSeconds(6);
        ExpiryPolicy policy = ExpiryPolicy.builder().refreshAhead(Duration.ZERO).refreshAheadFraction(0.2)
                .clockSkew(lifetime.dividedBy(20)).build();
        List<ScriptedEndpoint> idps = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ScriptedEndpoint idp = new ScriptedEndpoint().lifetime(lifetime);
            idps.add(idp);
            manager(idp, policy, 100 + i);
        }
        Duration run = lifetime.multipliedBy(3);
        run(run);

        int plain = plainCacheRequests(lifetime, lifetime.dividedBy(20), run);
        for (ScriptedEndpoint idp : idps) {
            assertThat(idp.requestCount()).as("requests of one holder; the plain cache makes %d", plain)
                    .isLessThanOrEqualTo(plain);
        }
        assertThat(expiredServed).isZero();
        assertThat(foregroundAcquisitions()).as("only each holder's first token is waited for").isEqualTo(4);
    }

    /**
     * The requests of a plain cache asked every {@link #CALL_EVERY}: it fetches (callers waiting) when
     * the token is within {@code skew} of expiry, and not before.
     */
    static int plainCacheRequests(Duration lifetime, Duration skew, Duration run) {
        long usable = lifetime.minus(skew).toMillis();
        long tokenAt = Long.MIN_VALUE;
        int requests = 0;
        for (long t = 0; t < run.toMillis(); t += CALL_EVERY.toMillis()) {
            if (tokenAt == Long.MIN_VALUE || t >= tokenAt + usable) {
                tokenAt = t;
                requests++;
            }
        }
        return requests;
    }
}
