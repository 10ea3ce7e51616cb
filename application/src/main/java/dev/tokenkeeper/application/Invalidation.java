package dev.tokenkeeper.application;

import dev.tokenkeeper.application.internal.StoreKeys;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Forgetting tokens and failures on request: a key's token everywhere (near cache and shared tier),
 * a token a resource server rejected (keeping its refresh token as a spare), revocation at the
 * identity provider, and the remembered failures of a client. Thread-safe.
 */
final class Invalidation {
    private final NearCache cache;
    private final Map<String, ClientRegistration> clients;
    private final SharedTier tier;
    private final EventSink events;

    Invalidation(NearCache cache, Map<String, ClientRegistration> clients, SharedTier tier,
            EventSink events) {
        this.cache = cache;
        this.clients = clients;
        this.tier = tier;
        this.events = events;
    }

    void invalidate(TokenKey key) {
        // the shared tier first: a caller that misses in between must not load the old token back from it
        ClientRegistration client = clients.get(key.client());
        if (client != null) {
            tier.delete(key, StoreKeys.of(client.storeIdentity(), key));
        }
        KeyState s = cache.get(key);
        if (s != null) {
            s.entry.set(null);
            s.spareRefresh = null;
            FailureMemory.forget(s);
        }
        events.onEvent(new TokenEvent.TokenInvalidated(key, false));
    }

    boolean invalidate(TokenKey key, AccessToken rejected) {
        KeyState s = cache.get(key);
        if (s == null) {
            return false;
        }
        Entry e = s.entry.get();
        if (e == null || !e.token.sameValueAs(rejected)) {
            return false;
        }
        // the shared tier first, while the near cache still serves the entry: a caller that missed in
        // between would load the rejected token back from the store and keep serving it after this
        // returned (TokenManagerTest.rejectedTokenIsNotLoadedBack)
        tier.deleteIfHolds(s, rejected);
        if (!s.entry.compareAndSet(e, null)) {
            return false; // replaced meanwhile (a refresh, or another rejection of it): the newer entry stays
        }
        RefreshCandidate rejectedRefresh = RefreshCandidate.of(e.token);
        if (rejectedRefresh != null) {
            s.spareRefresh = rejectedRefresh;
        }
        // and again: the flight that brought the token hands it out before it saves it, so it may have
        // been saving it all along (it checked the entry before the line above). What it saved by its
        // own second look is deleted here; what it saves later, it deletes itself (SingleFlight.serveThenSave;
        // TokenManagerTest.rejectedWhileSavedIsNotSavedForGood, GrantsOverOAuth2ServerIT.refreshTokenOnly)
        tier.deleteIfHolds(s, rejected);
        events.onEvent(new TokenEvent.TokenInvalidated(key, true));
        return true;
    }

    /**
     * {@link #invalidate(TokenKey, AccessToken)} without blocking the caller: inline when there is no
     * shared tier (the near cache alone does no I/O), else on {@code executor}, since deleting from
     * the store is a round trip. Never fails.
     */
    CompletionStage<Boolean> invalidateAsync(TokenKey key, AccessToken rejected, Executor executor) {
        if (!tier.isShared()) {
            return CompletableFuture.completedFuture(invalidate(key, rejected));
        }
        try {
            return CompletableFuture.supplyAsync(() -> invalidate(key, rejected), executor)
                    .exceptionally(e -> Boolean.FALSE);
        } catch (RejectedExecutionException e) { // closed: nothing is handed out any more
            return CompletableFuture.completedFuture(Boolean.FALSE);
        }
    }

    CompletionStage<Void> revoke(TokenKey key) {
        KeyState s = cache.get(key);
        Entry e = s == null ? null : s.entry.get();
        ClientRegistration client = clients.get(key.client());
        invalidate(key);
        if (e == null || client == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletionStage<Void> access = client.endpoint().revoke(e.token.value(), "access_token");
        return e.token.refreshToken()
                .map(rt -> client.endpoint().revoke(rt, "refresh_token").thenCompose(v -> access))
                .orElse(access);
    }

    int forgetFailures(String client) {
        int n = 0;
        for (KeyState s : cache.states()) {
            if (s.key.client().equals(client)) {
                n += s.remembered != null ? 1 : 0;
                FailureMemory.forget(s);
            }
        }
        return n;
    }
}
