package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;

/**
 * The tier behind the near cache that other instances and later processes share: none, or a
 * {@link SealedStoreTier sealed store}. Whether there is a store is decided here, once; the rest of
 * the manager asks the tier. A failing store degrades to a miss plus a {@code StoreFailed} event.
 */
interface SharedTier {

    /** The tier for {@code store}: {@link #NONE} when there is no store. */
    static SharedTier of(TokenStore store, SealingKeys keys, EntryFactory entries, EventSink events, InstantSource clock) {
        return store == null ? NONE : new SealedStoreTier(store, keys, entries, events, clock);
    }

    /** No shared tier: the near cache only. Nothing is read, written or leased. */
    SharedTier NONE = new SharedTier() {
        @Override
        public boolean isShared() {
            return false;
        }

        @Override
        public Entry load(KeyState s) {
            return null;
        }

        @Override
        public Entry loadOrThrow(KeyState s) {
            return null;
        }

        @Override
        public Optional<Lease> tryLease(KeyState s, Duration ttl) {
            return Optional.empty();
        }

        @Override
        public void save(KeyState s, AccessToken token) {}

        @Override
        public void release(KeyState s, Lease lease) {}

        @Override
        public void delete(TokenKey key, StoreKey storeKey) {}

        @Override
        public void deleteIfHolds(KeyState s, AccessToken rejected) {}
    };

    /**
     * Whether there is a store: then a flight reads it before anything else and coordinates with
     * other instances through its lease; without one, a remembered failure fails a caller before any
     * flight starts.
     */
    boolean isShared();

    /** The stored entry, opened: null if absent, unreadable (with an event) or the store failed (with an event). */
    Entry load(KeyState s);

    /** Like {@link #load} but a failing store throws {@link StoreUnavailable}, to tell it from an absent entry. */
    Entry loadOrThrow(KeyState s);

    /** Tries to take the key's cluster lease; a failing store throws {@link StoreUnavailable} (after its event). */
    Optional<Lease> tryLease(KeyState s, Duration ttl);

    /** Saves {@code token}, sealed, until its refresh token expires if that is later than the token itself. */
    void save(KeyState s, AccessToken token);

    /** Releases {@code lease}, if not null; a failure leaves it to end with its time to live. */
    void release(KeyState s, Lease lease);

    /** Deletes the key's entry. */
    void delete(TokenKey key, StoreKey storeKey);

    /** Deletes the key's entry if it holds {@code rejected} (another instance may have replaced it already). */
    void deleteIfHolds(KeyState s, AccessToken rejected);

    /** The store failed; thrown only where the caller must tell that from an absent entry. */
    final class StoreUnavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StoreUnavailable() {
            super(null, null, false, false);
        }
    }
}
