package dev.tokenkeeper.store.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link TokenStore}, as tests. A storage adapter proves it keeps the contract by
 * extending this class in its own test sources and supplying a factory:
 *
 * <pre>{@code
 * class MyTokenStoreCompatibilityTest extends TokenStoreCompatibilityKit {
 *     private final MutableClock clock = new MutableClock();
 *
 *     @Override
 *     protected TokenStore createStore() {
 *         return new MyTokenStore(clock);
 *     }
 *
 *     @Override
 *     protected Instant now() {
 *         return clock.instant();
 *     }
 *
 *     @Override
 *     protected void elapse(Duration duration) {
 *         clock.advance(duration);
 *     }
 * }
 * }</pre>
 *
 * <p>A store that runs on real time (a server's clock) overrides neither {@link #now()} nor
 * {@link #elapse(Duration)}: the defaults read and wait for the system clock. The expiry and lease
 * tests then take a few hundred milliseconds each.
 *
 * <p><b>What the kit assumes of the store under test.</b>
 * <ul>
 *   <li>{@link #createStore()} is called lazily, once per test, on the first use of {@link #store()};
 *       the kit closes that store after the test. Resources the factory needs (a client, a pool, a
 *       server) are the subclass's to create, in field initializers or {@code @BeforeAll}, and to
 *       close.</li>
 *   <li>Every test works on fresh random {@link StoreKey}s ({@link #newKey()}), so stores created by
 *       one test class may share one server and need no flush between tests. Nothing is asserted
 *       about entries the kit did not write.</li>
 *   <li>Expiry instants in the kit are whole milliseconds: a store must keep {@code expiresAt} to at
 *       least millisecond precision to pass the round-trip tests.</li>
 *   <li>The expiry tests call {@link #now()} to build expiry instants and {@link #elapse(Duration)}
 *       to pass them; both must speak of the clock the store itself uses to expire entries.</li>
 * </ul>
 *
 * <p>Each test has a timeout, so a store that hangs fails the test rather than the build.
 * Subclasses may add their own {@code @Test} and {@code @Nested} tests. Instances are used by one
 * test at a time, as JUnit does; the concurrency tests start their own threads.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class TokenStoreCompatibilityKit {

    /** Longer than any test runs, so a lease or entry taken with it never ends by accident. */
    private static final Duration LONG = Duration.ofMinutes(10);

    /**
     * The lifetime used where a test waits for an entry or a lease to end: short, because real-time
     * stores really wait for it, but long enough for a loaded CI machine to make the two or three
     * calls that must happen before it ends.
     */
    private static final Duration SHORT = Duration.ofMillis(400);

    /**
     * What tests elapse to be past {@link #SHORT}: one millisecond more, so that a store may treat the
     * instant of expiry itself either way.
     */
    private static final Duration PAST_SHORT = SHORT.plusMillis(1);

    /**
     * Added to every real-time {@link #elapse(Duration)}: stores count in milliseconds and call an
     * instant expired only once it has <em>passed</em>, so "exactly d later" would be ambiguous.
     */
    private static final Duration REAL_TIME_MARGIN = Duration.ofMillis(5);

    /** How long a real-time elapse may overrun before the kit calls the store's clock broken. */
    private static final Duration ELAPSE_SLACK = Duration.ofSeconds(10);

    /** How often a real-time elapse looks at the clock. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    /** As the brief of the port has it: many instances of a service race for one key. */
    private static final int CONTENDERS = 16;

    /** How long the concurrent-save test lets writers and readers run. */
    private static final Duration RACE_DURATION = Duration.ofMillis(500);

    private TokenStore store;

    /** For subclasses: the kit is used by extending it, one subclass per store. */
    protected TokenStoreCompatibilityKit() {
    }

    /**
     * Creates the store under test. Called once per test, lazily; the kit closes the store after the
     * test.
     */
    protected abstract TokenStore createStore();

    /**
     * Moves the store's notion of time forward by {@code duration}. The default waits for
     * {@link #now()} to pass {@code duration} (plus a few milliseconds) from the call, polling,
     * and fails if that takes far longer than asked; a store with an injected clock overrides this
     * to move its clock instead.
     */
    protected void elapse(Duration duration) {
        Objects.requireNonNull(duration, "duration");
        Instant until = now().plus(duration).plus(REAL_TIME_MARGIN);
        long deadline = System.nanoTime() + duration.plus(REAL_TIME_MARGIN).plus(ELAPSE_SLACK).toNanos();
        while (now().isBefore(until)) {
            if (System.nanoTime() - deadline > 0) {
                fail("the store's clock did not move " + duration + " within " + ELAPSE_SLACK + " more");
            }
            LockSupport.parkNanos(POLL_NANOS);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                fail("interrupted while waiting for time to pass");
            }
        }
    }

    /**
     * The store's notion of now, from which the kit builds expiry instants. The default is the system
     * clock; override it together with {@link #elapse(Duration)} when the store has an injected clock.
     */
    protected Instant now() {
        return Instant.now();
    }

    /**
     * Whether the store can list its entries with {@link TokenStore#forEach}. When false, the kit
     * checks that {@code forEach} throws {@link UnsupportedOperationException} instead of testing
     * the walk.
     */
    protected boolean supportsForEach() {
        return true;
    }

    /** The store under test, created by {@link #createStore()} on first use in each test. */
    protected final TokenStore store() {
        if (store == null) {
            store = Objects.requireNonNull(createStore(), "createStore() returned null");
        }
        return store;
    }

    /** A store key no other test (or earlier run against the same server) has used. */
    protected final StoreKey newKey() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return new StoreKey("tck-" + Long.toHexString(r.nextLong()) + Long.toHexString(r.nextLong()));
    }

    /**
     * A sealed token of {@code bytes} that expires {@code lifetime} after {@link #now()}, truncated to
     * whole milliseconds.
     */
    protected final SealedToken sealed(byte[] bytes, Duration lifetime) {
        return new SealedToken(bytes, now().plus(lifetime).truncatedTo(ChronoUnit.MILLIS));
    }

    /** A sealed token of {@code size} random bytes that expires in ten minutes. */
    protected final SealedToken randomToken(int size) {
        byte[] bytes = new byte[size];
        ThreadLocalRandom.current().nextBytes(bytes);
        return sealed(bytes, LONG);
    }

    @AfterEach
    void closeStoreUnderTest() {
        if (store != null) {
            TokenStore s = store;
            store = null;
            s.close();
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("Loading, saving and deleting")
    class Basics {

        @Test
        @DisplayName("a key that was never saved loads as empty")
        void unknownKeyIsEmpty() {
            assertThat(store().load(newKey())).isEmpty();
        }

        @Test
        @DisplayName("a saved token loads back with the same bytes and expiry")
        void saveThenLoad() {
            StoreKey key = newKey();
            SealedToken token = randomToken(300);
            store().save(key, token);
            assertLoads(key, token);
        }

        @Test
        @DisplayName("a token can be loaded many times")
        void loadIsRepeatable() {
            StoreKey key = newKey();
            SealedToken token = randomToken(40);
            store().save(key, token);
            assertLoads(key, token);
            assertLoads(key, token);
        }

        @Test
        @DisplayName("saving again replaces the whole entry, bytes and expiry, even with a shorter value")
        void overwrite() {
            StoreKey key = newKey();
            store().save(key, randomToken(8 * 1024));
            SealedToken second = sealed(new byte[] {1, 2, 3}, Duration.ofMinutes(3));
            store().save(key, second);
            assertLoads(key, second);
        }

        @Test
        @DisplayName("delete removes the entry and says there was one")
        void delete() {
            StoreKey key = newKey();
            store().save(key, randomToken(32));
            assertThat(store().delete(key)).isTrue();
            assertThat(store().load(key)).isEmpty();
        }

        @Test
        @DisplayName("delete of an absent key says there was none")
        void deleteAbsent() {
            assertThat(store().delete(newKey())).isFalse();
        }

        @Test
        @DisplayName("a second delete says there was none")
        void deleteTwice() {
            StoreKey key = newKey();
            store().save(key, randomToken(32));
            assertThat(store().delete(key)).isTrue();
            assertThat(store().delete(key)).isFalse();
        }

        @Test
        @DisplayName("a key can be saved again after a delete")
        void saveAfterDelete() {
            StoreKey key = newKey();
            store().save(key, randomToken(32));
            store().delete(key);
            SealedToken again = randomToken(48);
            store().save(key, again);
            assertLoads(key, again);
        }

        @Test
        @DisplayName("isPersistent answers without touching any entry")
        void isPersistentAnswers() {
            StoreKey key = newKey();
            store().isPersistent();
            assertThat(store().load(key)).isEmpty();
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("Expiry")
    class Expiry {

        @Test
        @DisplayName("a token saved already expired is never loaded")
        void savedExpired() {
            StoreKey key = newKey();
            store().save(key, sealed(bytes("expired"), Duration.ofSeconds(-1)));
            assertThat(store().load(key)).isEmpty();
        }

        @Test
        @DisplayName("a token loads until its expiry has passed, and never after")
        void loadsUntilExpiry() {
            StoreKey key = newKey();
            SealedToken token = sealed(bytes("short-lived"), SHORT);
            store().save(key, token);
            assertLoads(key, token);
            elapse(SHORT.dividedBy(2));
            assertLoads(key, token);
            elapse(SHORT.dividedBy(2).plusMillis(1));
            assertThat(store().load(key)).isEmpty();
            assertThat(store().load(key)).as("still gone on a second look").isEmpty();
        }

        @Test
        @DisplayName("an overwrite with a later expiry keeps the entry past the first expiry")
        void overwriteLengthensLife() {
            StoreKey key = newKey();
            store().save(key, sealed(bytes("first"), SHORT));
            SealedToken second = sealed(bytes("second"), LONG);
            store().save(key, second);
            elapse(PAST_SHORT);
            assertLoads(key, second);
        }

        @Test
        @DisplayName("an overwrite with an earlier expiry shortens the entry's life")
        void overwriteShortensLife() {
            StoreKey key = newKey();
            store().save(key, sealed(bytes("first"), LONG));
            store().save(key, sealed(bytes("second"), SHORT));
            elapse(PAST_SHORT);
            assertThat(store().load(key)).isEmpty();
        }

        @Test
        @DisplayName("an expired key can be saved again and loads the new token")
        void saveAfterExpiry() {
            StoreKey key = newKey();
            store().save(key, sealed(bytes("old"), SHORT));
            elapse(PAST_SHORT);
            SealedToken fresh = sealed(bytes("new"), LONG);
            store().save(key, fresh);
            assertLoads(key, fresh);
        }

        @Test
        @DisplayName("one entry expiring leaves the others")
        void expiryIsPerKey() {
            StoreKey shortKey = newKey();
            StoreKey longKey = newKey();
            store().save(shortKey, sealed(bytes("short"), SHORT));
            SealedToken longToken = sealed(bytes("long"), LONG);
            store().save(longKey, longToken);
            elapse(PAST_SHORT);
            assertThat(store().load(shortKey)).isEmpty();
            assertLoads(longKey, longToken);
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("Isolation between keys")
    class Isolation {

        @Test
        @DisplayName("each key keeps its own entry")
        void ownEntries() {
            StoreKey a = newKey();
            StoreKey b = newKey();
            SealedToken ta = randomToken(20);
            SealedToken tb = randomToken(21);
            store().save(a, ta);
            store().save(b, tb);
            assertLoads(a, ta);
            assertLoads(b, tb);
        }

        @Test
        @DisplayName("deleting one key leaves the others")
        void deleteIsPerKey() {
            StoreKey a = newKey();
            StoreKey b = newKey();
            store().save(a, randomToken(20));
            SealedToken tb = randomToken(21);
            store().save(b, tb);
            store().delete(a);
            assertLoads(b, tb);
        }

        @Test
        @DisplayName("keys that differ only in letter case are different keys")
        void caseSensitive() {
            String base = newKey().value();
            StoreKey lower = new StoreKey(base + "-abc");
            StoreKey upper = new StoreKey(base + "-ABC");
            SealedToken tl = randomToken(10);
            SealedToken tu = randomToken(11);
            store().save(lower, tl);
            store().save(upper, tu);
            assertLoads(lower, tl);
            assertLoads(upper, tu);
            store().delete(upper);
            assertLoads(lower, tl);
        }

        @Test
        @DisplayName("a key that is a prefix of another is a different key")
        void prefixKeys() {
            StoreKey shorter = newKey();
            StoreKey longer = new StoreKey(shorter.value() + "_x");
            SealedToken tl = randomToken(12);
            store().save(longer, tl);
            assertThat(store().load(shorter)).isEmpty();
            assertThat(store().delete(shorter)).isFalse();
            assertLoads(longer, tl);
        }

        @Test
        @DisplayName("the longest allowed key, 128 characters, works")
        void keyLengths() {
            String random = newKey().value();
            StoreKey longest = new StoreKey((random + "-".repeat(128)).substring(0, 128));
            SealedToken t = randomToken(64);
            store().save(longest, t);
            assertLoads(longest, t);
            assertThat(store().delete(longest)).isTrue();
        }

        @Test
        @DisplayName("a lease on one key does not block the lease on another")
        void leasesArePerKey() {
            StoreKey a = newKey();
            StoreKey b = newKey();
            assertThat(store().tryLease(a, LONG)).isPresent();
            assertThat(store().tryLease(b, LONG)).isPresent();
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("Bytes round-trip exactly")
    class Bytes {

        @Test
        @DisplayName("every byte value 0x00 to 0xFF, in order")
        void allByteValues() {
            byte[] all = new byte[256];
            for (int i = 0; i < all.length; i++) {
                all[i] = (byte) i;
            }
            roundTrip(all);
        }

        @Test
        @DisplayName("a single 0x00 byte")
        void singleZero() {
            roundTrip(new byte[] {0});
        }

        @Test
        @DisplayName("a value of zero bytes only, with zeros at both ends")
        void onlyZeros() {
            roundTrip(new byte[1024]);
        }

        @Test
        @DisplayName("a single byte")
        void singleByte() {
            roundTrip(new byte[] {(byte) 0xA5});
        }

        @Test
        @DisplayName("bytes that break text encodings: invalid UTF-8, a BOM, CR LF, 0x80 and 0xFF")
        void textBreakers() {
            roundTrip(new byte[] {(byte) 0xC3, 0x28, (byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 0x0D, 0x0A, (byte) 0xFF,
                (byte) 0xFE, (byte) 0x80, 0x00, 0x27, 0x22, 0x5C, 0x25, 0x7F});
        }

        @Test
        @DisplayName("a large value of 8 KiB random bytes")
        void large() {
            byte[] big = new byte[8 * 1024];
            ThreadLocalRandom.current().nextBytes(big);
            big[0] = 0;
            big[big.length - 1] = 0;
            roundTrip(big);
        }

        private void roundTrip(byte[] bytes) {
            StoreKey key = newKey();
            SealedToken token = sealed(bytes, LONG);
            store().save(key, token);
            assertLoads(key, token);
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("Concurrent saves")
    class ConcurrentSaves {

        private static final int WRITERS = 4;
        private static final int READERS = 4;

        @Test
        @DisplayName("are atomic: readers see one whole value or another, never a mix")
        void atomic() throws Exception {
            StoreKey key = newKey();
            TokenStore s = store();
            SealedToken[] values = new SealedToken[WRITERS];
            for (int w = 0; w < WRITERS; w++) {
                // writer w writes (1000 + 517·w) bytes, all equal to w+1, expiring w minutes after the others
                byte[] bytes = new byte[1000 + 517 * w];
                Arrays.fill(bytes, (byte) (w + 1));
                values[w] = sealed(bytes, LONG.plus(Duration.ofMinutes(w)));
            }
            s.save(key, values[0]);
            long stopAt = System.nanoTime() + RACE_DURATION.toNanos();
            AtomicInteger reads = new AtomicInteger();
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                SealedToken mine = values[w];
                tasks.add(() -> {
                    while (System.nanoTime() - stopAt < 0) {
                        s.save(key, mine);
                    }
                    return null;
                });
            }
            for (int r = 0; r < READERS; r++) {
                tasks.add(() -> {
                    while (System.nanoTime() - stopAt < 0) {
                        Optional<SealedToken> seen = s.load(key);
                        assertThat(seen).as("a concurrently overwritten entry is never absent").isPresent();
                        assertThat(values).as("the value read is one that was written, whole").contains(seen.get());
                        reads.incrementAndGet();
                    }
                    return null;
                });
            }
            runTogether(tasks);
            assertThat(reads.get()).as("readers ran").isPositive();
            assertThat(values).contains(s.load(key).orElseThrow());
            SealedToken last = randomToken(77);
            s.save(key, last);
            assertLoads(key, last);
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("Leases")
    class Leases {

        @Test
        @DisplayName("the first tryLease wins a lease on that key, with an owner")
        void firstWins() {
            StoreKey key = newKey();
            Lease lease = store().tryLease(key, LONG).orElseThrow();
            assertThat(lease.key()).isEqualTo(key);
            assertThat(lease.owner()).isNotBlank();
        }

        @Test
        @DisplayName("while a lease is held, every other tryLease fails")
        void exclusive() {
            StoreKey key = newKey();
            assertThat(store().tryLease(key, LONG)).isPresent();
            assertThat(store().tryLease(key, LONG)).isEmpty();
            assertThat(store().tryLease(key, SHORT)).isEmpty();
        }

        @Test
        @DisplayName("a released lease can be taken again, under a new owner")
        void releaseThenRetake() {
            StoreKey key = newKey();
            Lease first = store().tryLease(key, LONG).orElseThrow();
            assertThat(store().release(first)).isTrue();
            Lease second = store().tryLease(key, LONG).orElseThrow();
            assertThat(second.owner()).isNotEqualTo(first.owner());
        }

        @Test
        @DisplayName("a lease ends when its time to live ends")
        void ttlEndsLease() {
            StoreKey key = newKey();
            assertThat(store().tryLease(key, SHORT)).isPresent();
            assertThat(store().tryLease(key, LONG)).as("held before its TTL ends").isEmpty();
            elapse(PAST_SHORT);
            assertThat(store().tryLease(key, LONG)).as("free after its TTL ended").isPresent();
        }

        @Test
        @DisplayName("only the owner can release: a foreign lease gets false and changes nothing")
        void onlyOwnerReleases() {
            StoreKey key = newKey();
            Lease lease = store().tryLease(key, LONG).orElseThrow();
            assertThat(store().release(new Lease(key, lease.owner() + "x"))).isFalse();
            assertThat(store().release(new Lease(key, "someone-else"))).isFalse();
            assertThat(store().tryLease(key, LONG)).as("still held").isEmpty();
            assertThat(store().release(lease)).isTrue();
        }

        @Test
        @DisplayName("only the owner can extend: a foreign lease gets false and changes nothing")
        void onlyOwnerExtends() {
            StoreKey key = newKey();
            Lease lease = store().tryLease(key, SHORT).orElseThrow();
            assertThat(store().extend(new Lease(key, "someone-else"), LONG)).isFalse();
            elapse(PAST_SHORT);
            assertThat(store().tryLease(key, LONG)).as("the foreign extend did not lengthen the lease").isPresent();
            assertThat(store().extend(lease, LONG)).as("the first owner's lease has ended").isFalse();
        }

        @Test
        @DisplayName("a lease on one key is not released by a lease with the same owner on another key")
        void leaseNamesItsKey() {
            StoreKey key = newKey();
            Lease lease = store().tryLease(key, LONG).orElseThrow();
            assertThat(store().release(new Lease(newKey(), lease.owner()))).isFalse();
            assertThat(store().tryLease(key, LONG)).isEmpty();
        }

        @Test
        @DisplayName("a second release gets false")
        void releaseTwice() {
            StoreKey key = newKey();
            Lease lease = store().tryLease(key, LONG).orElseThrow();
            assertThat(store().release(lease)).isTrue();
            assertThat(store().release(lease)).isFalse();
        }

        @Test
        @DisplayName("releasing a lease on a key never leased gets false")
        void releaseUnknown() {
            assertThat(store().release(new Lease(newKey(), "nobody"))).isFalse();
            assertThat(store().extend(new Lease(newKey(), "nobody"), LONG)).isFalse();
        }

        @Test
        @DisplayName("extend keeps the lease held past its first time to live")
        void extendLengthens() {
            StoreKey key = newKey();
            Lease lease = store().tryLease(key, SHORT).orElseThrow();
            assertThat(store().extend(lease, LONG)).isTrue();
            elapse(PAST_SHORT);
            assertThat(store().tryLease(key, LONG)).as("still held").isEmpty();
            assertThat(store().release(lease)).as("the extended lease is still the owner's").isTrue();
        }

        @Test
        @DisplayName("extend sets the time to live from now, so a short extend ends the lease sooner")
        void extendShortens() {
            StoreKey key = newKey();
            Lease lease = store().tryLease(key, LONG).orElseThrow();
            assertThat(store().extend(lease, SHORT)).isTrue();
            elapse(PAST_SHORT);
            assertThat(store().tryLease(key, LONG)).isPresent();
        }

        @Test
        @DisplayName("a lease whose time to live has ended can be neither extended nor released")
        void endedLease() {
            StoreKey key = newKey();
            Lease lease = store().tryLease(key, SHORT).orElseThrow();
            elapse(PAST_SHORT);
            assertThat(store().extend(lease, LONG)).isFalse();
            assertThat(store().release(lease)).isFalse();
            assertThat(store().tryLease(key, LONG)).as("the failed extend did not revive it").isPresent();
        }

        @Test
        @DisplayName("a stale lease cannot release or extend a newer holder's lease")
        void staleLease() {
            StoreKey key = newKey();
            Lease stale = store().tryLease(key, SHORT).orElseThrow();
            elapse(PAST_SHORT);
            Lease current = store().tryLease(key, LONG).orElseThrow();
            assertThat(current.owner()).isNotEqualTo(stale.owner());
            assertThat(store().release(stale)).isFalse();
            assertThat(store().extend(stale, LONG)).isFalse();
            assertThat(store().tryLease(key, LONG)).as("the newer holder still holds it").isEmpty();
            assertThat(store().release(current)).isTrue();
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("Leases and tokens are independent")
    class LeasesAndTokens {

        @Test
        @DisplayName("a lease alone is not an entry: load is empty and delete says there was none")
        void leaseIsNotEntry() {
            StoreKey key = newKey();
            store().tryLease(key, LONG).orElseThrow();
            assertThat(store().load(key)).isEmpty();
            assertThat(store().delete(key)).isFalse();
            assertThat(store().tryLease(key, LONG)).as("delete did not touch the lease").isEmpty();
        }

        @Test
        @DisplayName("saving a token does not release the lease")
        void saveKeepsLease() {
            StoreKey key = newKey();
            Lease lease = store().tryLease(key, LONG).orElseThrow();
            store().save(key, randomToken(30));
            assertThat(store().tryLease(key, LONG)).isEmpty();
            assertThat(store().release(lease)).isTrue();
        }

        @Test
        @DisplayName("deleting the token does not touch the lease")
        void deleteKeepsLease() {
            StoreKey key = newKey();
            Lease lease = store().tryLease(key, LONG).orElseThrow();
            store().save(key, randomToken(30));
            assertThat(store().delete(key)).isTrue();
            assertThat(store().tryLease(key, LONG)).isEmpty();
            assertThat(store().release(lease)).isTrue();
        }

        @Test
        @DisplayName("releasing or ending the lease does not touch the token")
        void leaseEndKeepsToken() {
            StoreKey key = newKey();
            SealedToken token = randomToken(30);
            store().save(key, token);
            Lease lease = store().tryLease(key, LONG).orElseThrow();
            assertThat(store().release(lease)).isTrue();
            assertLoads(key, token);
            store().tryLease(key, SHORT).orElseThrow();
            elapse(PAST_SHORT);
            assertLoads(key, token);
        }

        @Test
        @DisplayName("an entry's expiry does not end the lease")
        void entryExpiryKeepsLease() {
            StoreKey key = newKey();
            Lease lease = store().tryLease(key, LONG).orElseThrow();
            store().save(key, sealed(bytes("short"), SHORT));
            elapse(PAST_SHORT);
            assertThat(store().load(key)).isEmpty();
            assertThat(store().tryLease(key, LONG)).isEmpty();
            assertThat(store().release(lease)).isTrue();
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("Concurrent leases")
    class ConcurrentLeases {

        private static final int ROUNDS = 5;

        @Test
        @DisplayName("of 16 threads racing for one key, exactly one wins")
        void exactlyOneWinner() throws Exception {
            for (int round = 0; round < ROUNDS; round++) {
                StoreKey key = newKey();
                List<Lease> winners = race(key);
                assertThat(winners).as("winners in round %d", round).hasSize(1);
            }
        }

        @Test
        @DisplayName("after the winner releases, exactly one of 16 threads wins again")
        void exactlyOneWinnerAfterRelease() throws Exception {
            StoreKey key = newKey();
            for (int round = 0; round < ROUNDS; round++) {
                List<Lease> winners = race(key);
                assertThat(winners).as("winners in round %d", round).hasSize(1);
                assertThat(store().release(winners.get(0))).isTrue();
            }
        }

        private List<Lease> race(StoreKey key) throws Exception {
            TokenStore s = store();
            List<Lease> winners = new ArrayList<>();
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int i = 0; i < CONTENDERS; i++) {
                tasks.add(() -> {
                    s.tryLease(key, LONG).ifPresent(lease -> {
                        synchronized (winners) {
                            winners.add(lease);
                        }
                    });
                    return null;
                });
            }
            runTogether(tasks);
            return winners;
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("Walking the entries with forEach")
    class Walk {

        @Test
        @DisplayName("lists every live entry with its bytes and expiry")
        void listsLiveEntries() {
            assumeTrue(supportsForEach(), "the store does not support forEach");
            Map<StoreKey, SealedToken> mine = Map.of(newKey(), randomToken(10), newKey(), randomToken(2000),
                    newKey(), randomToken(1));
            mine.forEach(store()::save);
            Map<StoreKey, SealedToken> seen = walk();
            for (Map.Entry<StoreKey, SealedToken> e : mine.entrySet()) {
                assertThat(seen).as("listed entry %s", e.getKey()).containsKey(e.getKey());
                SealedToken listed = seen.get(e.getKey());
                assertThat(listed.bytes()).isEqualTo(e.getValue().bytes());
                assertThat(listed.expiresAt()).isEqualTo(e.getValue().expiresAt());
            }
        }

        @Test
        @DisplayName("skips expired and deleted entries, and keys that hold only a lease")
        void skipsDeadEntries() {
            assumeTrue(supportsForEach(), "the store does not support forEach");
            StoreKey live = newKey();
            StoreKey expired = newKey();
            StoreKey deleted = newKey();
            StoreKey leasedOnly = newKey();
            store().save(live, randomToken(10));
            store().save(expired, sealed(bytes("soon gone"), SHORT));
            store().save(deleted, randomToken(10));
            store().delete(deleted);
            store().tryLease(leasedOnly, LONG).orElseThrow();
            elapse(PAST_SHORT);
            Map<StoreKey, SealedToken> seen = walk();
            assertThat(seen).containsKey(live).doesNotContainKeys(expired, deleted, leasedOnly);
        }

        @Test
        @DisplayName("a store that cannot walk its entries says so with UnsupportedOperationException")
        void unsupported() {
            assumeFalse(supportsForEach(), "the store supports forEach");
            assertThatThrownBy(() -> store().forEach((k, v) -> {})).isInstanceOf(UnsupportedOperationException.class);
        }

        private Map<StoreKey, SealedToken> walk() {
            Map<StoreKey, SealedToken> seen = new ConcurrentHashMap<>();
            store().forEach((k, v) -> {
                SealedToken before = seen.putIfAbsent(k, v);
                if (before != null && !before.equals(v)) {
                    fail("forEach listed " + k + " twice with different values");
                }
            });
            return seen;
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** Asserts that {@code key} loads {@code expected}: same bytes, same expiry. */
    protected final void assertLoads(StoreKey key, SealedToken expected) {
        Optional<SealedToken> loaded = store().load(key);
        assertThat(loaded).as("entry under %s", key).isPresent();
        assertThat(loaded.get().bytes()).as("bytes under %s", key).isEqualTo(expected.bytes());
        assertThat(loaded.get().expiresAt()).as("expiresAt under %s", key).isEqualTo(expected.expiresAt());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Runs the tasks on their own threads, released together, and rethrows the first failure. Bounded:
     * a task that does not finish within the class timeout fails the test.
     */
    private static void runTogether(List<Callable<Void>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size(), r -> {
            Thread t = new Thread(r, "tck-contender");
            t.setDaemon(true);
            return t;
        });
        try {
            CountDownLatch ready = new CountDownLatch(tasks.size());
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Void>> futures = new ArrayList<>();
            for (Callable<Void> task : tasks) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return task.call();
                }));
            }
            if (!ready.await(10, TimeUnit.SECONDS)) {
                fail("the contender threads did not start");
            }
            go.countDown();
            AtomicReference<Throwable> first = new AtomicReference<>();
            for (Future<Void> f : futures) {
                try {
                    f.get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    first.compareAndSet(null, e.getCause());
                } catch (TimeoutException e) {
                    first.compareAndSet(null, new AssertionError("a store call did not return within 30 s", e));
                }
            }
            Throwable t = first.get();
            if (t instanceof Error err) {
                throw err;
            }
            if (t instanceof Exception ex) {
                throw ex;
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
