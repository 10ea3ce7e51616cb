package dev.tokenkeeper.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Fleet behaviour on virtual time: four managers share one store, one identity provider and one
 * virtual clock; each runs its proactive sweep on the manual scheduler and is asked for the token
 * every few virtual seconds. What the real-time fleet ITs check against Redis and PostgreSQL over a
 * few seconds, this checks over many token lives in no real time, request by request.
 */
class FleetTest {

    static final TokenKey KEY = TokenManagerTest.KEY;
    static final Duration LIFETIME = TokenManagerTest.LIFETIME;
    /** With the test policy a token is refreshed one minute before it expires. */
    static final Duration USABLE = LIFETIME.minusMinutes(1);
    static final Duration CALL_EVERY = Duration.ofSeconds(5);
    static final int INSTANCES = 4;

    final VirtualTime time = new VirtualTime();
    final ScriptedEndpoint idp = new ScriptedEndpoint().lifetime(LIFETIME);
    final MapStore store = new MapStore(time.clock, false);
    final SealingKeys keys = SealingKeys.ephemeral(); // shared, as configured keys would be
    final List<TokenEvent> events = new CopyOnWriteArrayList<>();
    final List<TokenManager> fleet = new ArrayList<>();
    /** Every token served, by its issue time (the virtual moment its request was sent). */
    final Set<Instant> issued = new TreeSet<>();
    int expiredServed;

    FleetTest() {
        for (int i = 0; i < INSTANCES; i++) {
            fleet.add(time.on(TokenManager.builder())
                    .expiryPolicy(TokenManagerTest.POLICY)
                    .client("billing", idp)
                    .store(store)
                    .sealingKeys(keys)
                    .listener(events::add)
                    .proactiveRefresh(true)
                    .sweepInterval(Duration.ofSeconds(1))
                    .build());
        }
    }

    @AfterEach
    void close() {
        fleet.forEach(TokenManager::close);
    }

    /** Runs the fleet for {@code d}: every instance asked for the token every {@link #CALL_EVERY}. */
    void run(Duration d) {
        for (long t = 0; t < d.toMillis(); t += CALL_EVERY.toMillis()) {
            for (TokenManager m : fleet) {
                AccessToken token = m.token(KEY);
                if (!token.expiresAt().isAfter(time.clock.instant())) {
                    expiredServed++;
                }
                issued.add(token.issuedAt());
            }
            time.advance(CALL_EVERY);
        }
    }

    /** The distinct tokens the instances serve now. */
    Set<String> servedNow() {
        return fleet.stream().map(m -> m.token(KEY).value().reveal()).collect(Collectors.toSet());
    }

    long count(Class<? extends TokenEvent> type) {
        return events.stream().filter(type::isInstance).count();
    }

    @Test
    @DisplayName("four instances on one store make one token request per token life, serve no expired token, and share it")
    void oneRequestPerLifetime() {
        run(LIFETIME.multipliedBy(10));

        // the first token at 0:00, then one refresh per usable life: at 9, 18, ..., 99 minutes
        assertThat(idp.requestCount()).isEqualTo(1 + (int) (LIFETIME.multipliedBy(10).toMinutes() / USABLE.toMinutes()));
        assertThat(expiredServed).isZero();
        List<Instant> times = new ArrayList<>(issued);
        for (int i = 1; i < times.size(); i++) {
            assertThat(Duration.between(times.get(i - 1), times.get(i))).as("gap between two token requests")
                    .isEqualTo(USABLE);
        }
        assertThat(servedNow()).as("every instance serves the same token").hasSize(1);
        assertThat(count(TokenEvent.StoreHit.class)).as("the others took each refresh from the store").isPositive();
        assertThat(count(TokenEvent.AcquisitionFailed.class)).isZero();
    }

    @Test
    @DisplayName("while the store is down each instance acquires on its own, at most once per usable life; then the fleet converges on one token")
    void storeOutageThenConvergence() {
        run(LIFETIME.multipliedBy(2));
        int before = idp.requestCount();
        assertThat(before).isEqualTo(3); // 0:00, 9:00, 18:00

        store.down = true;
        run(LIFETIME.multipliedBy(2));
        int during = idp.requestCount() - before;
        assertThat(count(TokenEvent.StoreFailed.class)).as("the instances noticed the outage").isPositive();
        assertThat(during).as("requests during a two-life outage")
                .isPositive()
                .isLessThanOrEqualTo(INSTANCES * (1 + (int) (LIFETIME.multipliedBy(2).toMinutes() / USABLE.toMinutes())));

        store.down = false;
        run(LIFETIME); // the next refresh goes through the store's lease again
        assertThat(servedNow()).as("one token across the fleet after the store returned").hasSize(1);
        int after = idp.requestCount();
        run(LIFETIME.multipliedBy(3));
        assertThat(idp.requestCount() - after).as("one request per usable life again")
                .isLessThanOrEqualTo(1 + (int) (LIFETIME.multipliedBy(3).toMinutes() / USABLE.toMinutes()));
        assertThat(expiredServed).isZero();
        assertThat(count(TokenEvent.AcquisitionFailed.class)).isZero();
    }
}
