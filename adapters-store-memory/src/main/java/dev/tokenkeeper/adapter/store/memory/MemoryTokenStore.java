package dev.tokenkeeper.adapter.store.memory;

import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * A {@link TokenStore} in the heap of this JVM, on two {@link ConcurrentHashMap}s: one for sealed
 * tokens, one for leases. Entries are visible to this process only and die with it, so
 * {@link #isPersistent()} is {@code false} and the leases coordinate the threads of one instance,
 * not a cluster.
 *
 * <p>Time comes from an injected {@link InstantSource}: an entry is not loaded once its
 * {@link SealedToken#expiresAt()} has passed, and a lease ends when its time to live has run out
 * (at that instant). Expired entries are dropped when next touched and, in passing, by a sweep every
 * {@value #SWEEP_EVERY_SAVES} saves, so a key that is never read again does not pin memory forever.
 *
 * <p>Thread-safe and non-blocking: every operation is one atomic map operation. No call does I/O,
 * so none can fail for want of a server.
 */
public final class MemoryTokenStore implements TokenStore {

    /**
     * How many saves pass between sweeps of expired entries. A sweep walks the whole map; with one
     * entry per token key this is cheap, and one in a thousand saves keeps its cost out of sight
     * while bounding what stale entries can hold.
     */
    static final int SWEEP_EVERY_SAVES = 1024;

    private final InstantSource clock;
    private final ConcurrentHashMap<StoreKey, SealedToken> entries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<StoreKey, Held> leases = new ConcurrentHashMap<>();
    private final AtomicInteger savesSinceSweep = new AtomicInteger();

    /** A store on the system clock. */
    public MemoryTokenStore() {
        this(InstantSource.system());
    }

    /**
     * A store on {@code clock}.
     *
     * @throws NullPointerException if {@code clock} is null
     */
    public MemoryTokenStore(InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** @throws NullPointerException if {@code key} is null */
    @Override
    public Optional<SealedToken> load(StoreKey key) {
        Objects.requireNonNull(key, "key");
        SealedToken token = entries.get(key);
        if (token == null) {
            return Optional.empty();
        }
        if (expired(token, clock.instant())) {
            entries.remove(key, token);
            return Optional.empty();
        }
        return Optional.of(token);
    }

    /** @throws NullPointerException if {@code key} or {@code token} is null */
    @Override
    public void save(StoreKey key, SealedToken token) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(token, "token");
        entries.put(key, token);
        if (savesSinceSweep.incrementAndGet() >= SWEEP_EVERY_SAVES) {
            savesSinceSweep.set(0);
            sweep();
        }
    }

    /**
     * Removes the entry under {@code key}.
     *
     * @return whether there was a live (unexpired) one
     * @throws NullPointerException if {@code key} is null
     */
    @Override
    public boolean delete(StoreKey key) {
        Objects.requireNonNull(key, "key");
        SealedToken removed = entries.remove(key);
        return removed != null && !expired(removed, clock.instant());
    }

    /**
     * @throws NullPointerException if {@code key} or {@code ttl} is null
     * @throws IllegalArgumentException if {@code ttl} is not positive
     */
    @Override
    public Optional<Lease> tryLease(StoreKey key, Duration ttl) {
        Objects.requireNonNull(key, "key");
        requirePositive(ttl);
        Instant now = clock.instant();
        Held mine = new Held(UUID.randomUUID().toString(), now.plus(ttl));
        Held holder = leases.compute(key, (k, current) -> current == null || current.endedAt(now) ? mine : current);
        return holder == mine ? Optional.of(new Lease(key, mine.owner)) : Optional.empty();
    }

    /** @throws NullPointerException if {@code lease} is null */
    @Override
    public boolean release(Lease lease) {
        Objects.requireNonNull(lease, "lease");
        Instant now = clock.instant();
        AtomicBoolean released = new AtomicBoolean();
        leases.computeIfPresent(lease.key(), (k, current) -> {
            if (current.endedAt(now)) {
                return null; // ended: nobody holds it, so drop it, but it was not released by this call
            }
            if (current.owner.equals(lease.owner())) {
                released.set(true);
                return null;
            }
            return current;
        });
        return released.get();
    }

    /**
     * @throws NullPointerException if {@code lease} or {@code ttl} is null
     * @throws IllegalArgumentException if {@code ttl} is not positive
     */
    @Override
    public boolean extend(Lease lease, Duration ttl) {
        Objects.requireNonNull(lease, "lease");
        requirePositive(ttl);
        Instant now = clock.instant();
        AtomicBoolean extended = new AtomicBoolean();
        leases.computeIfPresent(lease.key(), (k, current) -> {
            if (current.endedAt(now)) {
                return null;
            }
            if (current.owner.equals(lease.owner())) {
                extended.set(true);
                return new Held(current.owner, now.plus(ttl));
            }
            return current;
        });
        return extended.get();
    }

    /**
     * Calls {@code action} for every unexpired entry. Entries saved or deleted during the walk may or
     * may not be seen; the walk never fails because of them.
     *
     * @throws NullPointerException if {@code action} is null
     */
    @Override
    public void forEach(BiConsumer<StoreKey, SealedToken> action) {
        Objects.requireNonNull(action, "action");
        Instant now = clock.instant();
        entries.forEach((key, token) -> {
            if (!expired(token, now)) {
                action.accept(key, token);
            }
        });
    }

    /** Always {@code false}: entries live in this JVM's heap only. */
    @Override
    public boolean isPersistent() {
        return false;
    }

    /** Forgets every entry and lease. */
    @Override
    public void close() {
        entries.clear();
        leases.clear();
    }

    @Override
    public String toString() {
        return "MemoryTokenStore[" + entries.size() + " entries]";
    }

    private void sweep() {
        Instant now = clock.instant();
        entries.values().removeIf(token -> expired(token, now));
        leases.values().removeIf(held -> held.endedAt(now));
    }

    private static boolean expired(SealedToken token, Instant now) {
        return now.isAfter(token.expiresAt());
    }

    private static void requirePositive(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isZero() || ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must be positive, was " + ttl);
        }
    }

    /** A lease as held: the owner and the instant its time to live runs out. */
    private record Held(String owner, Instant until) {
        boolean endedAt(Instant now) {
            return !now.isBefore(until);
        }
    }
}
