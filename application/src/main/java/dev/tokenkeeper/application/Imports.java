package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenStatus;

/**
 * Tokens obtained elsewhere (a login UI, another tool, the environment) put into the manager: into
 * the near cache and, sealed, into the shared tier, exactly where an acquired token would go, so
 * that the next caller is served from it and its refresh token feeds the next refresh-token grant.
 * Thread-safe.
 */
final class Imports {
    private final NearCache cache;
    private final SingleFlight flights;
    private final SharedTier tier;
    private final EntryFactory entries;

    Imports(NearCache cache, SingleFlight flights, SharedTier tier, EntryFactory entries) {
        this.cache = cache;
        this.flights = flights;
        this.tier = tier;
        this.entries = entries;
    }

    /**
     * Installs {@code token} for {@code key} and saves it (synchronously: a CLI that imports and
     * exits must leave it in the store). A token whose access token has expired is kept for its
     * refresh token: the next caller's flight refreshes with it.
     */
    void put(TokenKey key, AccessToken token) {
        KeyState s = cache.state(key);
        Entry entry = entries.entry(token, TokenStatus.Source.IMPORTED);
        flights.installImported(s, entry);
        tier.save(s, token);
    }

    /**
     * Like {@link #put} unless the key already holds a token here or in the shared tier (servable,
     * or expired with a refresh token still kept): importing the same environment at every start
     * must not replace a token that was refreshed since (its refresh token may have rotated).
     *
     * @return whether it was put
     */
    boolean putIfAbsent(TokenKey key, AccessToken token) {
        KeyState s = cache.state(key);
        if (s.entry.get() != null || s.spareRefresh != null || tier.load(s) != null) {
            return false;
        }
        put(key, token);
        return true;
    }
}
