package dev.tokenkeeper.application;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.testsupport.TestClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The cluster lease walk (try -> lost -> wait -> retry -> direct) on virtual time: the ticker and the
 * scheduler are injected, so a twenty-second lease wait takes no real time and each step is checked
 * at the virtual moment it should happen.
 */
class LeaseWaitTest {

    static final TokenKey KEY = TokenManagerTest.KEY;

    final TestClock clock = TestClock.fixed();
    final ScriptedEndpoint endpoint = new ScriptedEndpoint().lifetime(TokenManagerTest.LIFETIME);
    final List<TokenEvent> events = new CopyOnWriteArrayList<>();
    final List<TokenManager> managers = new ArrayList<>();
    final ManualScheduler scheduler = new ManualScheduler();
    final MapStore store = new MapStore(clock, false);
    final SealingKeys keys = SealingKeys.ephemeral(); // shared by the instances, as configured keys would be

    TokenManager.Builder builder() {
        return TokenManager.builder()
                .clock(clock)
                .expiryPolicy(TokenManagerTest.POLICY)
                .client("billing", endpoint)
                .proactiveRefresh(false)
                .resilience(Resilience.none(Duration.ofSeconds(10)))
                .acquireTimeout(Duration.ofSeconds(10));
    }

    TokenManager manager(TokenManager.Builder b) {
        TokenManager m = b.build();
        managers.add(m);
        return m;
    }

    @AfterEach
    void close() {
        managers.forEach(TokenManager::close);
    }

    TokenManager waitingManager() {
        store.leaseHeldElsewhere = true; // a holder that never publishes
        return manager(builder()
                .store(store)
                .sealingKeys(keys)
                .listener(events::add)
                .leaseWait(Duration.ofSeconds(20))
                .ticker(scheduler.ticker)
                .scheduler(scheduler)
                .executor(Runnable::run)
                .grantExecutor((client, request, call) -> {
                    call.attemptStarted();
                    return client.endpoint().request(request).toCompletableFuture();
                }));
    }

    long count(Class<? extends TokenEvent> type) {
        return events.stream().filter(type::isInstance).count();
    }

    @Test
    @DisplayName("an instance that lost the lease waits the whole lease wait, tries again, and after two lost rounds acquires itself")
    void leaseWaitOnVirtualTime() {
        TokenManager m = waitingManager();
        CompletableFuture<AccessToken> f = m.tokenAsync(KEY).toCompletableFuture();
        assertThat(f).isNotDone();
        assertThat(count(TokenEvent.LeaseLost.class)).isEqualTo(1);

        scheduler.advance(Duration.ofSeconds(19)); // polls the store; the holder has not published
        assertThat(f).isNotDone();
        assertThat(count(TokenEvent.LeaseWaitTimedOut.class)).isZero();
        assertThat(endpoint.requestCount()).isZero();

        scheduler.advance(Duration.ofSeconds(2)); // the first wait ran out: the lease again, lost again, a second wait
        assertThat(f).isNotDone();
        assertThat(count(TokenEvent.LeaseWaitTimedOut.class)).isEqualTo(1);
        assertThat(count(TokenEvent.LeaseLost.class)).isEqualTo(2);

        scheduler.advance(Duration.ofSeconds(21)); // the second wait ran out: a third lost try, then on its own
        assertThat(f).isCompleted();
        assertThat(count(TokenEvent.LeaseLost.class)).isEqualTo(3);
        assertThat(count(TokenEvent.LeaseWaitTimedOut.class)).isEqualTo(3);
        assertThat(endpoint.requestCount()).isEqualTo(1);
        assertThat(f.join()).isSameAs(m.token(KEY));
    }

    @Test
    @DisplayName("a waiting instance serves the holder's token as soon as a poll finds it, without a request")
    void holderPublishesDuringWait() {
        TokenManager holder = manager(builder().store(store).sealingKeys(keys));
        TokenManager m = waitingManager();
        CompletableFuture<AccessToken> f = m.tokenAsync(KEY).toCompletableFuture();
        scheduler.advance(Duration.ofSeconds(5));
        assertThat(f).isNotDone();

        store.leaseHeldElsewhere = false;
        AccessToken published = holder.token(KEY); // another instance acquires and saves its token
        Await.until("the holder saved its token", () -> !store.tokens.isEmpty()); // it saves after serving
        int requests = endpoint.requestCount();
        scheduler.advance(Duration.ofMillis(500)); // the next poll finds it
        assertThat(f).isCompleted();
        assertThat(f.join().sameValueAs(published)).isTrue();
        assertThat(endpoint.requestCount()).isEqualTo(requests);
        assertThat(count(TokenEvent.StoreHit.class)).isEqualTo(1);
    }

    @Test
    @DisplayName("a store that dies during the lease wait ends the wait at the next poll: the instance acquires on its own")
    void storeDiesDuringWait() {
        TokenManager m = waitingManager();
        CompletableFuture<AccessToken> f = m.tokenAsync(KEY).toCompletableFuture();
        scheduler.advance(Duration.ofSeconds(3));
        assertThat(f).isNotDone();

        store.down = true;
        scheduler.advance(Duration.ofMillis(500)); // polls are at most 500 ms apart
        assertThat(f).isCompleted();
        assertThat(endpoint.requestCount()).isEqualTo(1);
        assertThat(count(TokenEvent.StoreFailed.class)).isPositive();
        assertThat(count(TokenEvent.LeaseWaitTimedOut.class)).as("not a timed-out wait").isZero();
    }
}
