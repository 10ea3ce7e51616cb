package dev.tokenkeeper.domain.spi;

import java.util.Objects;

/**
 * A lease on one store key: whoever holds it is the one instance of a cluster that refreshes the
 * key's token. Only the holder, identified by {@code owner}, may release or extend it.
 *
 * @param key the leased key
 * @param owner a random value that identifies the holder; not a secret, but unguessable
 */
public record Lease(StoreKey key, String owner) {
    public Lease {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
    }
}
