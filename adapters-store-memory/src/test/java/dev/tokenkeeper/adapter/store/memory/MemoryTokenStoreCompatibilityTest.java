package dev.tokenkeeper.adapter.store.memory;

import dev.tokenkeeper.domain.spi.TokenStore;
import dev.tokenkeeper.store.tck.TokenStoreCompatibilityKit;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/** Runs the store contract against {@link MemoryTokenStore}, moving an injected clock instead of waiting. */
class MemoryTokenStoreCompatibilityTest extends TokenStoreCompatibilityKit {

    /** A whole-millisecond start, so expiry instants fall exactly on the boundaries the kit tests. */
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2030-01-01T00:00:00Z"));

    @Override
    protected TokenStore createStore() {
        return new MemoryTokenStore(now::get);
    }

    @Override
    protected Instant now() {
        return now.get();
    }

    @Override
    protected void elapse(Duration duration) {
        now.updateAndGet(t -> t.plus(duration));
    }
}
