package dev.tokenkeeper.runnable.localstore;

import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.bootstrap.persistence.LocalFiles;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.InstantSource;

/**
 * {@link LocalFiles} as {@link LocalStore}: how {@code store.type=file} reaches the sealed token file (or an existing H2 one)
 * when this module is on the class path (registered in {@code META-INF/services}).
 *
 * <p>Thread-safe (stateless).
 */
public final class LocalStoreProvider implements LocalFiles {

    /** For {@link java.util.ServiceLoader}. */
    public LocalStoreProvider() {}

    /**
     * The sealed file ({@link SealedFileStore}) unless the directory already holds an H2 database
     * ({@value LocalFiles#DATABASE_FILE}, or anything by that name: a link there is then refused by
     * the H2 store's checks), which keeps being used as it was: existing token directories keep
     * working unchanged, new ones get the file that needs no database engine.
     */
    @Override
    public LocalFiles.Opened open(Path directory, InstantSource clock, String tablePrefix) {
        if (Files.exists(directory.resolve(LocalFiles.DATABASE_FILE), LinkOption.NOFOLLOW_LINKS)) {
            return LocalStore.open(directory, clock, tablePrefix);
        }
        return SealedLocalFile.open(directory, clock);
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
