package dev.tokenkeeper.adapter.store.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What the memory store does beyond the contract the kit checks. */
class MemoryTokenStoreTest {

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2030-01-01T00:00:00Z"));
    private final MemoryTokenStore store = new MemoryTokenStore(now::get);

    @Test
    @DisplayName("is not persistent")
    void notPersistent() {
        assertThat(store.isPersistent()).isFalse();
        assertThat(new MemoryTokenStore().isPersistent()).isFalse();
    }

    @Test
    @DisplayName("a sweep drops expired entries that are never read again")
    void sweepDropsExpired() {
        StoreKey stale = new StoreKey("stale");
        store.save(stale, new SealedToken(new byte[] {1}, now.get().plusSeconds(1)));
        now.set(now.get().plusSeconds(2));
        SealedToken live = new SealedToken(new byte[] {2}, now.get().plusSeconds(60));
        for (int i = 0; i < MemoryTokenStore.SWEEP_EVERY_SAVES; i++) {
            store.save(new StoreKey("live"), live);
        }
        assertThat(store.toString()).isEqualTo("MemoryTokenStore[1 entries]");
    }

    @Test
    @DisplayName("a lease time to live must be positive")
    void ttlMustBePositive() {
        StoreKey key = new StoreKey("k");
        assertThatThrownBy(() -> store.tryLease(key, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
        assertThatThrownBy(() -> store.tryLease(key, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        Lease lease = store.tryLease(key, Duration.ofSeconds(1)).orElseThrow();
        assertThatThrownBy(() -> store.extend(lease, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("null arguments are rejected with the parameter's name")
    void nulls() {
        assertThatThrownBy(() -> store.load(null)).hasMessage("key");
        assertThatThrownBy(() -> store.save(new StoreKey("k"), null)).hasMessage("token");
        assertThatThrownBy(() -> new MemoryTokenStore(null)).hasMessage("clock");
    }

    @Test
    @DisplayName("close forgets entries and leases")
    void closeForgets() {
        StoreKey key = new StoreKey("k");
        store.save(key, new SealedToken(new byte[] {1}, now.get().plusSeconds(60)));
        store.tryLease(key, Duration.ofMinutes(1)).orElseThrow();
        store.close();
        assertThat(store.load(key)).isEmpty();
        assertThat(store.tryLease(key, Duration.ofMinutes(1))).isPresent();
        List<StoreKey> seen = new ArrayList<>();
        store.forEach((k, v) -> seen.add(k));
        assertThat(seen).isEmpty();
    }
}
