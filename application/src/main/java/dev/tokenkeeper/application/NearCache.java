package dev.tokenkeeper.application;

import dev.tokenkeeper.application.internal.StoreKeys;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.Freshness;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenStatus;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The near cache: every key's {@link KeyState}, the hot path that serves a cached token, and the
 * step down to the key's {@link SingleFlight} on a miss. A fresh hit takes no lock, does no I/O and
 * allocates nothing: a map read, two volatile reads, a clock read and two comparisons.
 *
 * <p>A key's state is made on its first use and {@link #evict evicted} when the {@link RefreshSweeper}
 * finds it idle; the next call for it is an ordinary miss. A key bound to a
 * {@link TokenManager.Handle} is pinned and never evicted, so that the handle and the manager always
 * share one state.
 *
 * <p>The number of resident keys is bounded by {@code maximumKeys}: a miss that makes a state beyond
 * the bound {@link #trim trims} the map to nine tenths of it, evicting the least recently used keys
 * first (recency as the sweep records it: a key used since the last sweep is the most recent) and
 * never a pinned key or a key with a flight in progress. The hot path is untouched by the bound.
 * Thread-safe.
 */
final class NearCache {
    private final ConcurrentHashMap<TokenKey, KeyState> states = new ConcurrentHashMap<>();
    private final Map<String, ClientRegistration> clients;
    private final SingleFlight flights;
    private final StatsCounter stats;
    private final boolean recordHits;
    private final EventSink events;
    private final InstantSource clock;
    private final int maximumKeys;
    private final RefreshIndex index;
    private final AtomicBoolean trimming = new AtomicBoolean();

    NearCache(Map<String, ClientRegistration> clients, SingleFlight flights, StatsCounter stats, boolean recordHits,
            EventSink events, InstantSource clock, int maximumKeys, RefreshIndex index) {
        this.maximumKeys = maximumKeys;
        this.index = index;
        this.clients = clients;
        this.flights = flights;
        this.stats = stats;
        this.recordHits = recordHits;
        this.events = events;
        this.clock = clock;
    }

    /** The key's state, or null if the key has not been asked for (or was evicted). */
    KeyState get(TokenKey key) {
        return states.get(key);
    }

    /** The key's state, made now if there is none. */
    KeyState state(TokenKey key) {
        Objects.requireNonNull(key, "key");
        return states.computeIfAbsent(key, this::newState);
    }

    /** The key's state, pinned: never evicted, for a handle that keeps it. */
    KeyState pinned(TokenKey key) {
        while (true) {
            KeyState s = state(key);
            s.pinned = true;
            if (states.get(key) == s) { // not evicted between the lookup and the pin
                return s;
            }
        }
    }

    /** Every key's state, weakly consistent (for the sweep and for per-client walks). */
    Collection<KeyState> states() {
        return states.values();
    }

    /**
     * The hot path: the cached entry if it may be served now (starting one background refresh if it
     * is refresh-due), else null.
     */
    Entry servable(KeyState s) {
        Entry e = s.entry.get();
        if (e == null) {
            return null;
        }
        long now = clock.millis();
        if (now >= e.expiresAtMillis) {
            return null;
        }
        if (!s.used) {
            s.used = true; // written once per pass of the sweep over every key, not per call
        }
        if (recordHits) {
            stats.recordHits(1);
        }
        if (now >= e.refreshAtMillis) {
            flights.refreshInBackground(s, now);
        }
        return e;
    }

    /**
     * A miss (or a token that expired since the hot path looked, or a state not made yet): the key's
     * single flight. {@code known} is the state the caller already has, or null.
     */
    CompletableFuture<AccessToken> miss(TokenKey key, KeyState known) {
        KeyState s = known != null ? known : state(key);
        s.used = true;
        Entry e = s.entry.get();
        long now = clock.millis();
        if (e != null && now < e.expiresAtMillis) {
            if (recordHits) {
                stats.recordHits(1);
            }
            return CompletableFuture.completedFuture(e.token);
        }
        stats.recordMisses(1);
        events.onEvent(new TokenEvent.CacheMiss(
                key, e == null ? TokenEvent.MissReason.ABSENT : TokenEvent.MissReason.EXPIRED));
        CompletableFuture<AccessToken> token = flights.forCaller(s, now);
        if (states.size() > maximumKeys && trim() > 0) { // after the flight started: this key is not a candidate
            index.purgeIfLarge(this); // the evicted keys' refresh points go too, not when they come due
        }
        return token;
    }

    /**
     * Evicts least recently used keys until at most nine tenths of {@code maximumKeys} remain (or no
     * candidate is left): never a pinned key, never a key with a flight in progress. An evicted key's
     * next call is an ordinary miss (served from the store if it is shared). One thread trims at a
     * time; the others go on, so the map may briefly exceed the bound by the misses in progress.
     *
     * @return how many keys were evicted
     */
    int trim() {
        if (!trimming.compareAndSet(false, true)) {
            return 0;
        }
        try {
            int excess = states.size() - (int) (maximumKeys * 0.9);
            if (excess <= 0) {
                return 0;
            }
            List<KeyState> candidates = new ArrayList<>();
            for (KeyState s : states.values()) {
                if (!s.pinned && s.inFlight.get() == null) {
                    candidates.add(s);
                }
            }
            candidates.sort(Comparator.comparingLong(NearCache::recency));
            int evicted = 0;
            for (int i = 0; i < candidates.size() && evicted < excess; i++) {
                KeyState s = candidates.get(i);
                if (!s.pinned && s.inFlight.get() == null && states.remove(s.key, s)) {
                    if (s.pinned || s.inFlight.get() != null) { // pinned or asked for while being removed
                        states.putIfAbsent(s.key, s);
                    } else {
                        evicted++;
                    }
                }
            }
            return evicted;
        } finally {
            trimming.set(false);
        }
    }

    /** When the key was last used as far as the sweep knows; a key used since the last sweep is the newest. */
    private static long recency(KeyState s) {
        return s.used ? Long.MAX_VALUE : s.lastUsedMillis;
    }

    /** How many keys are resident. */
    int size() {
        return states.size();
    }

    /**
     * Removes {@code s} unless it is pinned, in flight, or was asked for again since the sweep that
     * found it idle. A caller that read the state just before it was removed still gets its token
     * through it; the next call makes a new state (a miss), never a wrong answer.
     *
     * @return whether it was removed
     */
    boolean evict(KeyState s) {
        if (s.pinned || s.inFlight.get() != null || !states.remove(s.key, s)) {
            return false;
        }
        if (s.pinned || s.used || s.inFlight.get() != null) { // asked for while being removed: keep it
            states.putIfAbsent(s.key, s);
            return false;
        }
        return true;
    }

    /** What the near cache knows of {@code key} now. */
    TokenStatus status(TokenKey key) {
        KeyState s = states.get(key);
        if (s == null) {
            return new TokenStatus(key, null, null, null, null, null);
        }
        long now = clock.millis();
        Instant failFastUntil = FailureMemory.failFastUntil(s, now);
        Entry e = s.entry.get();
        if (e == null) {
            return new TokenStatus(key, null, null, null, null, s.lastError, failFastUntil);
        }
        Freshness f = new ExpiryPolicy.Schedule(e.refreshAtMillis, e.expiresAtMillis).atMillis(now);
        return new TokenStatus(key, f, e.token.expiresAt(), Instant.ofEpochMilli(e.refreshAtMillis), e.source,
                s.lastError, failFastUntil);
    }

    private KeyState newState(TokenKey key) {
        ClientRegistration client = clients.get(key.client());
        if (client == null) {
            throw new ConfigurationException("no client registration named '" + key.client() + "' (registered: "
                    + clients.keySet().stream().sorted().toList() + ")");
        }
        KeyState s = new KeyState(key, StoreKeys.of(client.storeIdentity(), key), client);
        s.lastUsedMillis = clock.millis(); // idle from now, even before its first caller marks it used
        return s;
    }
}
