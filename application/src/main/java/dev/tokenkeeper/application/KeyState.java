package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.StoreKey;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Everything the manager knows about one key: the near-cache entry (replaced whole), the in-flight
 * future (the single flight), the spare refresh token, and the failure memory. Each field is
 * written by the one collaborator that owns it (named beside it); all are read freely.
 */
final class KeyState {
    final TokenKey key;
    final StoreKey storeKey;
    final ClientRegistration client;
    /** The near cache; set by {@link SingleFlight} and cleared by {@link Invalidation}. */
    final AtomicReference<Entry> entry = new AtomicReference<>();
    /** The single flight; set and cleared by {@link SingleFlight} only. */
    final AtomicReference<CompletableFuture<AccessToken>> inFlight = new AtomicReference<>();
    /** The in-flight future if it was started as a background refresh, else null ({@link SingleFlight}). */
    volatile CompletableFuture<AccessToken> backgroundFlight;
    /**
     * A caller found the token refresh-due while the flight that brought it was still saving it: the
     * flight starts the refresh when it ends ({@link SingleFlight}).
     */
    volatile boolean refreshAskedDuringSave;
    /** Used since the sweep's last pass over every key (set by {@link NearCache}, cleared by {@link RefreshSweeper}). */
    volatile boolean used;
    volatile long lastUsedMillis;
    /** Bound to a {@link TokenManager.Handle}: never evicted ({@link NearCache}). */
    volatile boolean pinned;
    /** Failure memory ({@link FailureMemory}). */
    volatile long nextBackgroundAttemptMillis;
    volatile int consecutiveFailures;
    volatile FailureKind lastError;
    /** The permanent failure callers fail fast with until it ends, or null. */
    volatile FailureMemory.Remembered remembered;
    /** Permanent failures in a row since the last success: the remembered time doubles with each. */
    volatile int permanentFailures;
    /**
     * A refresh token kept for the next grant beyond the current entry's: from a token dropped on
     * rejection, or from a stored entry whose access token has expired. Null if none.
     */
    volatile RefreshCandidate spareRefresh;

    KeyState(TokenKey key, StoreKey storeKey, ClientRegistration client) {
        this.key = key;
        this.storeKey = storeKey;
        this.client = client;
    }

    /**
     * Keeps {@code offered}'s refresh token for the next grant if it is usable and newer than the
     * spare one: an entry whose access token has expired is never served, but its refresh token may
     * still be good.
     */
    void offerSpare(AccessToken offered, Instant now) {
        RefreshCandidate c = RefreshCandidate.of(offered);
        if (c != null && c.usableAt(now) && c.newerThan(spareRefresh)) {
            spareRefresh = c;
        }
    }
}
