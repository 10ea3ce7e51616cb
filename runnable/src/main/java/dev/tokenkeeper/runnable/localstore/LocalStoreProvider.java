package dev.tokenkeeper.runnable.localstore;

import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.bootstrap.persistence.LocalFiles;
import java.nio.file.Path;
import java.time.InstantSource;

/**
 * {@link LocalFiles} as {@link LocalStore}: how {@code store.type=file} reaches the H2 token file
 * when this module is on the class path (registered in {@code META-INF/services}).
 *
 * <p>Thread-safe (stateless).
 */
public final class LocalStoreProvider implements LocalFiles {

    /** For {@link java.util.ServiceLoader}. */
    public LocalStoreProvider() {}

    @Override
    public LocalFiles.Opened open(Path directory, InstantSource clock, String tablePrefix) {
        return LocalStore.open(directory, clock, tablePrefix);
    }

    @Override
    public void requireSafeH2(String jdbcUrl) {
        H2FileCheck.requireSafe(jdbcUrl);
    }

    @Override
    public SealingKeys sealingKeys(Path directory) {
        return LocalStore.sealingKeys(directory);
    }
}
