package dev.tokenkeeper.runnable.localstore;

import dev.tokenkeeper.bootstrap.persistence.LocalFiles;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;

/**
 * The local token file as {@link SealedFileStore}: the CLI's default for a token directory that
 * holds no H2 database yet. Nothing is held open between changes, so it is never "in memory only".
 */
final class SealedLocalFile implements LocalFiles.Opened {

    private final SealedFileStore store;

    private SealedLocalFile(SealedFileStore store) {
        this.store = store;
    }

    /**
     * Opens the sealed file in {@code directory}, making the directory 0700.
     *
     * @throws ConfigurationException if the directory or anything in it is a link or another user's
     */
    static SealedLocalFile open(Path directory, InstantSource clock) {
        LocalStore.prepareDirectory(directory);
        try {
            return new SealedLocalFile(SealedFileStore.open(directory, clock, SealedFileStore.DEFAULT_LOCK_WAIT));
        } catch (OwnerOnly.Refused e) {
            throw new ConfigurationException("store.path: " + e.getMessage());
        } catch (IOException e) {
            throw new ConfigurationException("store.path: cannot open the token file in " + directory + " ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    @Override
    public TokenStore store() {
        return store;
    }

    @Override
    public boolean inMemoryOnly() {
        return false;
    }

    @Override
    public void close() {
        store.close();
    }

    @Override
    public String toString() {
        return "SealedLocalFile[" + store.file() + "]";
    }
}
