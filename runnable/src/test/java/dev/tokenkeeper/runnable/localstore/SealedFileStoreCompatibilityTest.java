package dev.tokenkeeper.runnable.localstore;

import dev.tokenkeeper.domain.spi.TokenStore;
import dev.tokenkeeper.store.tck.TokenStoreCompatibilityKit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/** Runs the store contract against {@link SealedFileStore}, on a fresh directory per store, moving an injected clock. */
class SealedFileStoreCompatibilityTest extends TokenStoreCompatibilityKit {

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2030-01-01T00:00:00Z"));

    @Override
    protected TokenStore createStore() {
        try {
            Path dir = Files.createTempDirectory("sealed-store-tck").resolve("tokens");
            return SealedFileStore.open(dir, now::get, Duration.ofSeconds(30));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
