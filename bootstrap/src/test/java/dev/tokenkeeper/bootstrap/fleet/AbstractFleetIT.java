package dev.tokenkeeper.bootstrap.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bootstrap.fleet.SecretScan.RawEntry;
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
        Duration planned = Fleet.LIFETIME.multipliedBy(5);
        try (StoreFixture stores = sharedStore(); Fleet fleet = new Fleet(INSTANCES, stores::newStore)) {
            long t0 = System.nanoTime();
            Fleet.Load load = fleet.startLoad(THREADS_PER_INSTANCE);
            sleepUntil(t0, planned);
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

            // 1.5 lifetimes of normal sharing, then the store's server goes away for 3.5 s (over two usable lives)
            sleepUntil(t0, Duration.ofMillis(4500));
            long downAt = fleet.millisSinceStart();
            int requestsBeforeOutage = fleet.idp.requestCount();
            stores.stopServer();
            long stoppedAt = fleet.millisSinceStart();
            sleepUntil(t0, Duration.ofMillis(8000));
            long startingAt = fleet.millisSinceStart();
            stores.startServer();
            long backAt = fleet.millisSinceStart();
            int requestsAtReturn = fleet.idp.requestCount();

            // convergence: every instance serves the same token, twice in a row; within two token lives
            long convergedAt = -1;
            String converged = null;
            long deadline = System.nanoTime() + Fleet.LIFETIME.multipliedBy(3).toNanos();
            while (System.nanoTime() < deadline) {
                String a = fleet.commonToken(load);
                Thread.sleep(50);
                String b = a == null ? null : fleet.commonToken(load);
                if (a != null && b != null) {
                    converged = b;
                    convergedAt = fleet.millisSinceStart();
                    break;
                }
                Thread.sleep(50);
            }
            int requestsAtConvergence = fleet.idp.requestCount();

            // then two more lifetimes of ordinary sharing
            long afterNanos = System.nanoTime();
            Thread.sleep(Fleet.LIFETIME.multipliedBy(2).toMillis());
            Duration afterConvergence = since(afterNanos);
            int requestsAfterConvergence = fleet.idp.requestCount() - requestsAtConvergence;
            String stillCommon = null;
            for (int i = 0; i < 20 && stillCommon == null; i++) {
                stillCommon = fleet.commonToken(load);
                if (stillCommon == null) {
                    Thread.sleep(25); // a refresh may land between two instances' answers
                }
            }
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
            // dump while the fleet refreshes (to catch lease entries) for two lifetimes
            List<RawEntry> dumps = new ArrayList<>();
            int samples = 0;
            while (since(t0).compareTo(Fleet.LIFETIME.multipliedBy(2)) < 0) {
                dumps.addAll(stores.rawDump());
                samples++;
                Thread.sleep(20);
            }
            load.stop();
            // and hold a lease on the fleet's key (as the store names it), so that the final dump surely shows one
            TokenStore store = fleet.instances.get(0).store;
            List<StoreKey> keys = new ArrayList<>();
            store.forEach((k, sealed) -> keys.add(k));
            assertThat(keys).as("the fleet's one key in the store").hasSize(1);
            // the managers still refresh proactively and may hold the lease for a moment: try for a while
            Optional<Lease> lease = store.tryLease(keys.get(0), Duration.ofSeconds(30));
            for (long end = System.nanoTime() + Duration.ofSeconds(10).toNanos(); lease.isEmpty() && System.nanoTime() < end; ) {
                Thread.sleep(20);
                lease = store.tryLease(keys.get(0), Duration.ofSeconds(30));
            }
            List<RawEntry> last = stores.rawDump();
            lease.ifPresent(store::release);
            dumps.addAll(last);
            System.out.printf("FLEET %s raw dump: %d samples, %d entries, last dump %s; %d tokens issued; %s%n", storeName(),
                    samples, dumps.size(), last.stream().map(RawEntry::name).toList(), fleet.idp.issuedTokens().size(),
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

    static void sleepUntil(long startNanos, Duration offset) throws InterruptedException {
        long left = startNanos + offset.toNanos() - System.nanoTime();
        if (left > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }
}
