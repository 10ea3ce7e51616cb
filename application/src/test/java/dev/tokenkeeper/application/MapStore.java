package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A minimal in-test store that can be told to fail or to be "persistent", for the manager's unit
 * tests. The real stores pass the compatibility kit in their own modules.
 */
final class MapStore implements TokenStore {
    final Map<StoreKey, SealedToken> tokens = new ConcurrentHashMap<>();
    final Map<StoreKey, String> leases = new ConcurrentHashMap<>();
    private final InstantSource clock;
    private final boolean persistent;
    volatile boolean down;
    /** Another instance holds every lease and never publishes: tryLease always fails. */
    volatile boolean leaseHeldElsewhere;
    /** Runs at the start of each delete, outside any lock: a test holds a delete in progress with it. */
    volatile Runnable beforeDelete;
    /** Runs at the start of each save, outside any lock: a test holds a save in progress with it. */
    volatile Runnable beforeSave;

    MapStore(InstantSource clock, boolean persistent) {
        this.clock = clock;
        this.persistent = persistent;
    }

    private void check() {
        if (down) {
            throw new IllegalStateException("store is down (connection refused to 10.0.0.1:6379)");
        }
    }

    @Override
    public Optional<SealedToken> load(StoreKey key) {
        check();
        SealedToken t = tokens.get(key);
        return t == null || !t.expiresAt().isAfter(clock.instant()) ? Optional.empty() : Optional.of(t);
    }

    @Override
    public void save(StoreKey key, SealedToken token) {
        check();
        Runnable hook = beforeSave;
        if (hook != null) {
            hook.run();
        }
        tokens.put(key, token);
    }

    @Override
    public boolean delete(StoreKey key) {
        check();
        Runnable hook = beforeDelete;
        if (hook != null) {
            hook.run();
        }
        return tokens.remove(key) != null;
    }

    @Override
    public Optional<Lease> tryLease(StoreKey key, Duration ttl) {
        check();
        if (leaseHeldElsewhere) {
            return Optional.empty();
        }
        String owner = UUID.randomUUID().toString();
        return leases.putIfAbsent(key, owner) == null ? Optional.of(new Lease(key, owner)) : Optional.empty();
    }

    @Override
    public boolean release(Lease lease) {
        check();
        return leases.remove(lease.key(), lease.owner());
    }

    @Override
    public boolean extend(Lease lease, Duration ttl) {
        check();
        return lease.owner().equals(leases.get(lease.key()));
    }

    @Override
    public boolean isPersistent() {
        return persistent;
    }
}
