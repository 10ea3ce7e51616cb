package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenStatus;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;

/**
 * A {@link TokenStore} whose entries are sealed with {@link SealingKeys}: tokens are sealed on save
 * and opened on load; garbage is a miss plus a {@code CorruptEntry} event, a failing store a miss
 * plus a {@code StoreFailed} event. A stored entry's refresh token is offered to the key as a spare.
 */
final class SealedStoreTier implements SharedTier {
    private final TokenStore store;
    private final TokenSealer sealer;
    private final EntryFactory entries;
    private final EventSink events;
    private final InstantSource clock;

    /** @throws ConfigurationException if a persistent store has no configured keys */
    SealedStoreTier(TokenStore store, SealingKeys keys, EntryFactory entries, EventSink events, InstantSource clock) {
        this.store = store;
        this.sealer = new TokenSealer(checkedKeys(store, keys));
        this.entries = entries;
        this.events = events;
        this.clock = clock;
    }

    private static SealingKeys checkedKeys(TokenStore store, SealingKeys keys) {
        if (keys == null) {
            if (store.isPersistent()) {
                throw new ConfigurationException("sealingKeys: the store " + store.getClass().getSimpleName()
                        + " is persistent, so tokens must be sealed with configured keys (a key generated "
                        + "now would make its entries unreadable after a restart and to other instances); "
                        + "generate one with SealingKeys.generateSpec(\"k1\")");
            }
            return SealingKeys.ephemeral();
        }
        if (keys.isEphemeral() && store.isPersistent()) {
            throw new ConfigurationException("sealingKeys: ephemeral keys cannot seal entries of a persistent store");
        }
        return keys;
    }

    @Override
    public boolean isShared() {
        return true;
    }

    @Override
    public Entry load(KeyState s) {
        try {
            return loadOrThrow(s);
        } catch (StoreUnavailable e) {
            return null;
        }
    }

    @Override
    public Entry loadOrThrow(KeyState s) {
        Optional<SealedToken> sealed;
        try {
            sealed = store.load(s.storeKey);
        } catch (RuntimeException e) {
            throw failed(s.key, "load", e);
        }
        if (sealed.isEmpty()) {
            return null;
        }
        try {
            AccessToken token = sealer.unseal(s.storeKey, sealed.get());
            s.offerSpare(token, clock.instant());
            return entries.entry(token, TokenStatus.Source.STORE);
        } catch (TokenSealer.UnsealException | IllegalArgumentException e) {
            // a miss: the next save overwrites the entry
            events.onEvent(new TokenEvent.CorruptEntry(s.key, e.getMessage()));
            return null;
        }
    }

    @Override
    public Optional<Lease> tryLease(KeyState s, Duration ttl) {
        try {
            return store.tryLease(s.storeKey, ttl);
        } catch (RuntimeException e) {
            throw failed(s.key, "lease", e);
        }
    }

    @Override
    public void save(KeyState s, AccessToken token) {
        try {
            store.save(s.storeKey, sealer.seal(s.storeKey, token, token.keepUntil()));
        } catch (RuntimeException e) {
            failed(s.key, "save", e);
        }
    }

    @Override
    public void release(KeyState s, Lease lease) {
        if (lease == null) {
            return;
        }
        try {
            store.release(lease);
        } catch (RuntimeException e) {
            failed(s.key, "release", e); // the lease ends with its time to live
        }
    }

    @Override
    public void delete(TokenKey key, StoreKey storeKey) {
        try {
            store.delete(storeKey);
        } catch (RuntimeException e) {
            failed(key, "delete", e);
        }
    }

    @Override
    public void deleteIfHolds(KeyState s, AccessToken rejected) {
        Entry stored = load(s);
        if (stored != null && stored.token.sameValueAs(rejected)) {
            delete(s.key, s.storeKey);
        }
    }

    private StoreUnavailable failed(TokenKey key, String operation, RuntimeException e) {
        events.onEvent(new TokenEvent.StoreFailed(key, operation, e.getClass().getName()));
        return new StoreUnavailable();
    }
}
