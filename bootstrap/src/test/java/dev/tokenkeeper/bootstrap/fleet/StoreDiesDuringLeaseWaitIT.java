package dev.tokenkeeper.bootstrap.fleet;

import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.Await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.adapter.http.VertxTokenEndpoint;
import dev.tokenkeeper.adapter.store.redis.RedisTokenStore;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.application.Resilience;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.testsupport.RequiredServers;
import dev.tokenkeeper.testsupport.RequiredServers.LocalRedis;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fleet case behind a stall seen in {@link PostgresFleetIT}'s restart run: an instance that lost
 * the lease waits for the holder's token to appear in the store; the store's server dies during that
 * wait. The holder cannot save into a dead store, so nothing will appear; the instance should acquire
 * on its own at once ("Redis down → acquire directly from the IdP when they must"). Instead it keeps
 * polling the dead store until the lease wait runs out, and its callers block all that time (with the
 * default lease wait of 20 s, up to 20 s; a caller fails if that exceeds its acquire timeout).
 */
class StoreDiesDuringLeaseWaitIT {

    /** A lease wait long enough that the stall cannot be mistaken for a slow grant. */
    static final Duration LEASE_WAIT = Duration.ofSeconds(6);

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aWaiterWhoseStoreDiesAcquiresDirectlyInsteadOfWaitingOutTheLease() throws Exception {
        LocalRedis redis = LocalRedis.startPrivate();
        if (redis == null) {
            String message = "needs a redis-server binary on the PATH to run a private server";
            if (RequiredServers.required()) {
                Assertions.fail(message);
            }
            Assumptions.abort(message);
        }
        TokenKey key = TokenKey.of("lease-wait-registration", "lease.wait.scope");
        String sealingKeys = SealingKeys.generateSpec("k1");
        List<TokenEvent> holderEvents = new CopyOnWriteArrayList<>();
        List<TokenEvent> events = new CopyOnWriteArrayList<>();
        try (redis;
                FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofMinutes(5));
                FakeIdp stuck = FakeIdp.start().alwaysRespond(Response.hang());
                RedisTokenStore holderStore = RedisTokenStore.connect(redis.uri(), Duration.ofMillis(250));
                RedisTokenStore store = RedisTokenStore.connect(redis.uri(), Duration.ofMillis(250));
                VertxTokenEndpoint holderEndpoint =
                        VertxTokenEndpoint.builder(stuck.tokenUri(), "lease-wait-client", Secret.of("lease-wait-secret")).build();
                VertxTokenEndpoint endpoint =
                        VertxTokenEndpoint.builder(idp.tokenUri(), "lease-wait-client", Secret.of("lease-wait-secret")).build();
                // the instance that holds the lease: its token request hangs (say, a slow route to the IdP)
                TokenManager holder = TokenManager.builder()
                        .client(key.client(), holderEndpoint)
                        .store(holderStore)
                        .sealingKeys(SealingKeys.parse(sealingKeys))
                        .resilience(Resilience.none(Duration.ofSeconds(20)))
                        .leaseTtl(Duration.ofSeconds(30))
                        .listener(holderEvents::add)
                        .build();
                // the instance whose caller we watch
                TokenManager manager = TokenManager.builder()
                        .client(key.client(), endpoint)
                        .store(store)
                        .sealingKeys(SealingKeys.parse(sealingKeys))
                        .leaseTtl(Duration.ofSeconds(30))
                        .leaseWait(LEASE_WAIT)
                        .listener(events::add)
                        .build()) {
            holder.tokenAsync(key);
            awaitEvent(holderEvents, TokenEvent.LeaseWon.class);
            assertThat(stuck.requestCount()).as("the holder's grant is under way").isLessThanOrEqualTo(1);

            long t0 = System.nanoTime();
            CompletableFuture<AccessToken> call = CompletableFuture.supplyAsync(() -> manager.token(key));
            awaitEvent(events, TokenEvent.LeaseLost.class); // raised as the wait begins: the kill comes during it
            long killedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            redis.kill(); // the store dies while the instance waits for the holder's token

            AccessToken token = call.get(30, TimeUnit.SECONDS);
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            long failedStoreCalls = events.stream().filter(e -> e instanceof TokenEvent.StoreFailed).count();
            System.out.printf("FLEET lease-wait: store killed after %d ms, the call returned after %d ms, %d failed store "
                    + "calls, %d token request(s); events %s%n", killedAfter, tookMillis, failedStoreCalls,
                    idp.requestCount(), events.stream().map(e -> e.getClass().getSimpleName()).toList());

            assertThat(token.expiresAt()).isAfter(java.time.Instant.now());
            assertThat(idp.requestCount()).as("the watched instance's own token request").isEqualTo(1);
            // the first failed poll shows the store is gone (polls come at most 500 ms apart); a grant on
            // loopback takes milliseconds; 1.5 s after the kill is generous
            assertThat(tookMillis - killedAfter)
                    .as("how long the caller stayed blocked after the store died (lease wait %s); %d store calls failed "
                            + "meanwhile", LEASE_WAIT, failedStoreCalls)
                    .isLessThan(1500);
        }
    }

    private static void awaitEvent(List<TokenEvent> events, Class<? extends TokenEvent> type) throws InterruptedException {
        Await.until("a " + type.getSimpleName() + " event", Duration.ofSeconds(5),
                () -> events.stream().anyMatch(type::isInstance));
    }
}
