package dev.tokenkeeper.application;

import dev.tokenkeeper.application.internal.StoreKeys;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.Freshness;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads a stored token without a {@link TokenManager}: for a process that lives for one answer
 * (the command line) and wants to know, before it starts any machinery, whether a fresh token is
 * already in its store.
 *
 * <p>It names entries and opens them exactly as the manager does (the same store key of a client's
 * identity and key, the same sealing) and calls a token usable only while the expiry policy calls it
 * {@link Freshness#FRESH} without jitter: the earliest refresh point the manager could pick. A token
 * that is due, expired, sealed with another key, damaged or copied from another entry is simply not
 * offered, and the caller takes the manager's path, which refreshes or replaces it.
 *
 * <p>Immutable and thread-safe. Loads no class of the manager's machinery (no Failsafe, no executor).
 */
public final class StoredTokenReader {

    private final TokenSealer sealer;
    private final ExpiryPolicy policy;

    private StoredTokenReader(SealingKeys keys, ExpiryPolicy policy) {
        this.sealer = new TokenSealer(Objects.requireNonNull(keys, "keys"));
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** A reader that opens entries with {@code keys} and judges them by {@code policy}. */
    public static StoredTokenReader of(SealingKeys keys, ExpiryPolicy policy) {
        return new StoredTokenReader(keys, policy);
    }

    /**
     * The store key under which a manager keeps {@code key}'s token for the client with
     * {@code identity} (see {@link ClientRegistration#identity()}).
     */
    public static StoreKey storeKey(String identity, TokenKey key) {
        return StoreKeys.of(Objects.requireNonNull(identity, "identity"), Objects.requireNonNull(key, "key"));
    }

    /**
     * The token sealed in {@code sealed}, read under {@code storeKey}, if it opens and is fresh at
     * {@code now}; otherwise empty, whatever the reason.
     */
    public Optional<AccessToken> fresh(StoreKey storeKey, SealedToken sealed, Instant now) {
        Objects.requireNonNull(storeKey, "storeKey");
        Objects.requireNonNull(sealed, "sealed");
        Objects.requireNonNull(now, "now");
        AccessToken token;
        try {
            token = sealer.unseal(storeKey, sealed);
        } catch (TokenSealer.UnsealException | IllegalArgumentException e) {
            return Optional.empty();
        }
        return policy.freshness(token, now) == Freshness.FRESH ? Optional.of(token) : Optional.empty();
    }

    /** When the manager would first consider {@code token} due for refresh (without jitter). */
    public Instant refreshAt(AccessToken token) {
        return policy.schedule(token).refreshAt();
    }
}
