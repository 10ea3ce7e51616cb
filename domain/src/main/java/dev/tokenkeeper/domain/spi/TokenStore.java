package dev.tokenkeeper.domain.spi;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Keeps sealed tokens per key and coordinates refreshes across the instances that share it.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Sealed only.</b> A store only ever sees {@link SealedToken} bytes and opaque
 *       {@link StoreKey}s; it never needs to, and cannot, read a token.</li>
 *   <li><b>Expiry.</b> {@link #load} never returns an entry whose {@link SealedToken#expiresAt()} has
 *       passed (by the store's clock); the store may drop such entries at any time. The expiry it
 *       returns is the one saved, to at least millisecond precision.</li>
 *   <li><b>Last write wins.</b> {@link #save} replaces the whole entry atomically: a concurrent
 *       {@link #load} sees the old entry or the new one, never a mix.</li>
 *   <li><b>Leases.</b> {@link #tryLease} succeeds for one caller at a time per key until the lease is
 *       released or its time to live ends; it fails (empty) for everyone else. Only the holder's
 *       {@link Lease} can {@link #release} or {@link #extend} it; a stale or foreign lease gets
 *       {@code false} and changes nothing. Leases are not re-entrant: the holder asking again gets
 *       empty. A time to live that is not positive is an {@link IllegalArgumentException}. Leases and
 *       tokens are independent: saving a token does not release a lease, and deleting a token does
 *       not touch one.</li>
 *   <li><b>Failures.</b> A store that cannot be reached throws an unchecked exception (any kind);
 *       the manager turns it into a cache miss and an event. Every call must return or throw in
 *       bounded time: configure client timeouts.</li>
 * </ul>
 *
 * <p>Implementations are thread-safe. The {@code store-compatibility-kit} module holds an abstract
 * test class that checks this contract; an adapter's test extends it.
 */
public interface TokenStore extends AutoCloseable {

    /** The sealed token under {@code key}, unless absent or expired. */
    Optional<SealedToken> load(StoreKey key);

    /** Stores {@code token} under {@code key}, replacing any entry there. */
    void save(StoreKey key, SealedToken token);

    /**
     * Removes the entry under {@code key}.
     *
     * @return whether there was one
     */
    boolean delete(StoreKey key);

    /**
     * Tries to take the lease on {@code key} for {@code ttl}.
     *
     * @return the lease, or empty if another holder has it
     */
    Optional<Lease> tryLease(StoreKey key, Duration ttl);

    /**
     * Releases {@code lease} if it is still held by its owner.
     *
     * @return whether it was held by that owner and is now released
     */
    boolean release(Lease lease);

    /**
     * Extends {@code lease} to {@code ttl} from now if it is still held by its owner.
     *
     * @return whether it was held by that owner and is now extended
     */
    boolean extend(Lease lease, Duration ttl);

    /**
     * Calls {@code action} for every live entry, for migration and backup. Entries written during
     * the walk may or may not be seen. The default says the store cannot be walked.
     *
     * @throws UnsupportedOperationException if the store cannot list its entries
     */
    default void forEach(BiConsumer<StoreKey, SealedToken> action) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot list its entries");
    }

    /**
     * Whether entries outlive this process or are visible to other processes. A persistent store
     * needs a configured sealing key: a key generated on the fly would make its entries unreadable
     * after a restart and to other instances.
     */
    boolean isPersistent();

    /** Releases the store's resources; safe to call more than once. The default does nothing. */
    @Override
    default void close() {}
}
