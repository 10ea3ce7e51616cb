package dev.tokenkeeper.bootstrap.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bootstrap.fleet.SecretScan.RawEntry;
import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fleet-level properties of a shared store, run against a real store and a real HTTP token
 * endpoint by one subclass per store (the Spring Session JDBC habit): four instances, each with its
 * own near cache and store client, sixteen callers each, on the system clock with 3 s tokens.
 *
 * <ul>
 *   <li>the fleet makes one token request per token life, with no failed call and no expired token
 *       served ({@link #fourInstancesMakeOneTokenRequestPerLifetime});</li>
 *   <li>the store's server stopped mid-run and started again: no failed call while the IdP is up,
 *       and the fleet converges on one token again ({@link #storeServerRestartMidRunFailsNoCallAndTheFleetConverges});</li>
 *   <li>a raw dump of the store shows no token, credential or name in clear
 *       ({@link #rawStoreDumpHoldsNoTokenNorClientIdInClear}).</li>
 * </ul>
 *
 * See {@link Fleet} for why the request bound counts usable lives of 1.4 s.
 *
 * <p>These run in real time on purpose: they are the few tests of the fleet against real servers
 * (reconnects, real latency). Each phase lasts until the fleet has done what the phase is about (so
 * many token requests, an outage seen by every instance, one common token), polled with
 * {@link Await}; none sleeps for a fixed time. The same properties over many token lives, request by
 * request, are checked on virtual time in the application module's {@code FleetTest}.
 */
abstract class AbstractFleetIT {

    static final int INSTANCES = 4;
    static final int THREADS_PER_INSTANCE = 16;

    /** The store every instance of a steady run shares; may be a shared server (the fixture isolates by prefix). */
    protected abstract StoreFixture sharedStore();

    /** A store on a private server the test may stop and start. */
    protected abstract StoreFixture.Restartable restartableStore();

    /** The store's name in reports. */
    protected abstract String storeName();

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void fourInstancesMakeOneTokenRequestPerLifetime() throws Exception {
        try (StoreFixture stores = sharedStore(); Fleet fleet = new Fleet(INSTANCES, stores::newStore)) {
            long t0 = System.nanoTime();
            Fleet.Load load = fleet.startLoad(THREADS_PER_INSTANCE);
            // about five token lives: the first token and four refreshes, each shared through the store
            Await.until("five token requests by the fleet", Fleet.LIFETIME.multipliedBy(10),
                    () -> fleet.idp.requestCount() >= 5);
            load.stop();
            Duration run = since(t0);
            int requests = fleet.idp.requestCount();
            long allowed = Fleet.allowedRequests(run);

            report("steady", run, requests, allowed, load, fleet);
            assertThat(load.failures).as("failed calls").isEmpty();
            assertThat(load.failed.sum()).as("failed calls").isZero();
            assertThat(load.expired.sum()).as("expired tokens served").isZero();
            assertThat(requests)
                    .as("token requests over %s (%s); the requests: %s", run, Fleet.lifetimes(run), fleet.describe())
                    .isLessThanOrEqualTo((int) allowed)
                    // without a new token per nominal lifetime the fleet would have had nothing valid to serve
                    .isGreaterThanOrEqualTo((int) (run.toMillis() / Fleet.LIFETIME.toMillis()));
            assertThat(load.calls.sum()).as("calls").isGreaterThan(10_000);
            // the sharper form: no two requests for one generation (sends closer than a usable life,
            // less 100 ms for the gap between the manager's send stamp and this harness's)
            assertThat(fleet.minGapMillis(0))
                    .as("shortest gap between two token requests (a duplicate request would be a few ms)%s", fleet.describe())
                    .isGreaterThanOrEqualTo(Fleet.MIN_USABLE.toMillis() - 100);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void storeServerRestartMidRunFailsNoCallAndTheFleetConverges() throws Exception {
        try (StoreFixture.Restartable stores = restartableStore();
                Fleet fleet = new Fleet(INSTANCES, stores::newStore)) {
            long t0 = System.nanoTime();
            Fleet.Load load = fleet.startLoad(THREADS_PER_INSTANCE);

            // normal sharing until the fleet has refreshed once through the store
            Await.until("a first refresh shared through the store", Fleet.LIFETIME.multipliedBy(3),
                    () -> fleet.idp.requestCount() >= 2);
            long downAt = fleet.millisSinceStart();
            int requestsBeforeOutage = fleet.idp.requestCount();
            stores.stopServer();
            long stoppedAt = fleet.millisSinceStart();
            // the server stays away until every instance has seen it fail and acquired a token of its own
            Await.until("every instance saw the store fail and acquired on its own", Fleet.LIFETIME.multipliedBy(4),
                    () -> fleet.instances.stream().allMatch(i -> i.events(TokenEvent.StoreFailed.class) > 0)
                            && fleet.idp.requestCount() >= requestsBeforeOutage + INSTANCES);
            long startingAt = fleet.millisSinceStart();
            stores.startServer();
            long backAt = fleet.millisSinceStart();
            int requestsAtReturn = fleet.idp.requestCount();

            // convergence: every instance serves the same token, twice in a row; within two token lives
            String[] common = new String[1];
            Await.until("all instances serve one token, twice in a row", Fleet.LIFETIME.multipliedBy(3), () -> {
                String a = fleet.commonToken(load);
                common[0] = a == null ? null : fleet.commonToken(load);
                return common[0] != null;
            });
            String converged = common[0];
            long convergedAt = fleet.millisSinceStart();
            int requestsAtConvergence = fleet.idp.requestCount();

            // then ordinary sharing again, for two more refreshes
            long afterNanos = System.nanoTime();
            Await.until("two refreshes after convergence", Fleet.LIFETIME.multipliedBy(4),
                    () -> fleet.idp.requestCount() >= requestsAtConvergence + 2);
            Duration afterConvergence = since(afterNanos);
            int requestsAfterConvergence = fleet.idp.requestCount() - requestsAtConvergence;
            // a refresh may land between two instances' answers: ask again until they agree
            Await.until("still one token at the end", () -> (common[0] = fleet.commonToken(load)) != null);
            String stillCommon = common[0];
            load.stop();
            Duration run = since(t0);
            int requests = fleet.idp.requestCount();

            // While the store fails, each instance acquires on its own, as designed: at most once per
            // usable life each. The outage as the instances saw it runs from the stop until the later of
            // the server's return and the last failed store call any instance reported (a pooled
            // connection broken by the restart fails once more after the server is back).
            long outageEnd = Math.max(backAt, fleet.lastStoreFailureMillis());
            Duration outage = Duration.ofMillis(outageEnd - downAt);
            long outageAllowance = INSTANCES * (1 + outage.toMillis() / Fleet.MIN_USABLE.toMillis());
            long allowed = Fleet.allowedRequests(run) + outageAllowance;
            long storeFailures = fleet.instances.stream().mapToLong(i -> i.events(TokenEvent.StoreFailed.class)).sum();

            report("restart", run, requests, allowed, load, fleet);
            System.out.printf(
                    "FLEET %s restart timeline: down@%d ms (stopped %d), start@%d, back@%d, last store failure@%d, "
                            + "outage as seen %d ms (allowance %d), converged@%d; requests before outage %d, at return %d, "
                            + "at convergence %d, in the %d ms after convergence %d (allowed %d); store failures %d%n",
                    storeName(), downAt, stoppedAt, startingAt, backAt, fleet.lastStoreFailureMillis(), outage.toMillis(),
                    outageAllowance, convergedAt, requestsBeforeOutage, requestsAtReturn, requestsAtConvergence,
                    afterConvergence.toMillis(), requestsAfterConvergence, Fleet.allowedRequests(afterConvergence),
                    storeFailures);

            assertThat(storeFailures).as("the instances noticed the outage (else this test tested nothing)").isPositive();
            assertThat(load.failures).as("failed calls").isEmpty();
            assertThat(load.failed.sum()).as("failed calls").isZero();
            assertThat(load.expired.sum()).as("expired tokens served").isZero();
            assertThat(converged).as("all instances serve one token after the store returned" + fleet.describe()).isNotNull();
            assertThat(stillCommon).as("still one token at the end" + fleet.describe()).isNotNull();
            assertThat(fleet.minGapMillis(convergedAt))
                    .as("shortest gap between two token requests after convergence%s", fleet.describe())
                    .isGreaterThanOrEqualTo(Fleet.MIN_USABLE.toMillis() - 100);
            assertThat(requestsAfterConvergence)
                    .as("requests in the %s after convergence: one per usable life again%s", afterConvergence, fleet.describe())
                    .isLessThanOrEqualTo((int) Fleet.allowedRequests(afterConvergence));
            assertThat(requests)
                    .as("requests over %s (%s) with an outage of %s%s", run, Fleet.lifetimes(run), outage, fleet.describe())
                    .isLessThanOrEqualTo((int) allowed);
            assertClean(stores.rawDump(), fleet, stores);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void rawStoreDumpHoldsNoTokenNorClientIdInClear() throws Exception {
        try (StoreFixture stores = sharedStore(); Fleet fleet = new Fleet(INSTANCES, stores::newStore)) {
            long t0 = System.nanoTime();
            Fleet.Load load = fleet.startLoad(4);
            // dump while the fleet refreshes (to catch lease entries), until it has refreshed twice
            List<RawEntry> dumps = new ArrayList<>();
            int[] samples = {0};
            long[] lastDump = {0};
            Await.until("two refreshes dumped", Fleet.LIFETIME.multipliedBy(6), () -> {
                if (System.nanoTime() - lastDump[0] >= 20_000_000) { // a dump every 20 ms: each opens a connection
                    dumps.addAll(stores.rawDump());
                    samples[0]++;
                    lastDump[0] = System.nanoTime();
                }
                return fleet.idp.issuedTokens().size() >= 3;
            });
            load.stop();
            // and hold a lease on the fleet's key (as the store names it), so that the final dump surely shows one
            TokenStore store = fleet.instances.get(0).store;
            List<StoreKey> keys = new ArrayList<>();
            store.forEach((k, sealed) -> keys.add(k));
            assertThat(keys).as("the fleet's one key in the store").hasSize(1);
            // the managers still refresh proactively and may hold the lease for a moment: try for a while
            List<Optional<Lease>> taken = new ArrayList<>(List.of(Optional.empty()));
            Await.until("a lease on the fleet's key", () -> {
                taken.set(0, store.tryLease(keys.get(0), Duration.ofSeconds(30)));
                return taken.get(0).isPresent();
            });
            Optional<Lease> lease = taken.get(0);
            List<RawEntry> last = stores.rawDump();
            lease.ifPresent(store::release);
            dumps.addAll(last);
            System.out.printf("FLEET %s raw dump: %d samples, %d entries, last dump %s; %d tokens issued; %s%n", storeName(),
                    samples[0], dumps.size(), last.stream().map(RawEntry::name).toList(), fleet.idp.issuedTokens().size(),
                    load.summary());
            load.failures.forEach(f -> System.out.println("FLEET failure: " + f));

            assertThat(lease).as("a lease to dump").isPresent();
            assertThat(last.size()).as("token and lease entries in the final dump").isGreaterThanOrEqualTo(2);
            assertThat(fleet.idp.issuedTokens()).as("tokens issued").isNotEmpty();
            assertThat(load.failures).as("failed calls").isEmpty();
            assertThat(load.failed.sum()).as("failed calls").isZero();
            assertClean(dumps, fleet, stores);
        }
    }

    /** The dump holds token entries, and none of the fleet's secrets or names in any form the scanner knows. */
    private void assertClean(List<RawEntry> dump, Fleet fleet, StoreFixture stores) {
        Map<String, String> needles = fleet.needles();
        assertThat(dump.stream().filter(stores::isTokenEntry)).as("token entries in the dump").isNotEmpty();
        // the scanner finds what it should: a token base64-encoded at an odd offset inside a longer value
        String token = fleet.idp.issuedTokens().get(0);
        byte[] planted = ("xy" + token + "z").getBytes(StandardCharsets.UTF_8);
        assertThat(SecretScan.findings(List.of(new RawEntry("control", Base64.getEncoder().encode(planted))), needles))
                .as("scanner control").isNotEmpty();
        assertThat(SecretScan.findings(dump, needles)).as("secrets or names in clear in the raw dump").isEmpty();
    }

    private void report(String what, Duration run, int requests, long allowed, Fleet.Load load, Fleet fleet) {
        System.out.printf("FLEET %s %s: run %d ms = %s; token requests %d (allowed %d); %s%s%n", storeName(), what,
                run.toMillis(), Fleet.lifetimes(run), requests, allowed, load.summary(), fleet.describe());
        load.failures.forEach(f -> System.out.println("FLEET failure: " + f));
    }

    static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

}
