package dev.tokenkeeper.runnable.localstore;

import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.application.StoredTokenReader;
import dev.tokenkeeper.bootstrap.persistence.LocalFiles;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * A fresh token already in a token directory's sealed file, read without opening a store, taking a
 * lock or creating anything: the command line's cache hit.
 *
 * <p>Only the sealed file ({@value LocalFiles#SEALED_FILE}) is read; a directory that holds an H2
 * database, has no key file, or whose files are links or another user's gives nothing here, and
 * the caller takes the full path, which opens, checks and reports as usual. So does a directory
 * that is not already private (a link, another user's entry, anything open to group or others):
 * the full path refuses it or narrows its modes, and this path never reads past what it would.
 */
public final class CachedToken {

    private final StoredTokenReader reader;
    private final Path directory;

    private CachedToken(StoredTokenReader reader, Path directory) {
        this.reader = reader;
        this.directory = directory;
    }

    /**
     * A reader of {@code directory}'s sealed file with {@code configuredKeys}, or, when they are
     * null, the directory's own key file; empty if the directory cannot serve a hit.
     */
    public static Optional<CachedToken> in(Path directory, SealingKeys configuredKeys, ExpiryPolicy policy) {
        if (Files.exists(directory.resolve(LocalFiles.DATABASE_FILE), LinkOption.NOFOLLOW_LINKS)
                || !Files.exists(directory.resolve(LocalFiles.SEALED_FILE), LinkOption.NOFOLLOW_LINKS)
                || !OwnerOnly.alreadyPrivate(directory)) { // the full path refuses or narrows what is off, and says so
            return Optional.empty();
        }
        SealingKeys keys = configuredKeys;
        if (keys == null) {
            Path keyFile = directory.resolve(LocalFiles.KEY_FILE);
            if (!Files.exists(keyFile, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            keys = KeyFile.loadOrCreate(keyFile, LocalStore.KEY_ID); // exists: only checked and read
        }
        return Optional.of(new CachedToken(StoredTokenReader.of(keys, policy), directory));
    }

    /** The token of {@code key} for the client with {@code identity}, if stored and fresh at {@code now}. */
    public Optional<AccessToken> fresh(String identity, TokenKey key, Instant now) throws IOException {
        StoreKey storeKey = StoredTokenReader.storeKey(identity, key);
        Optional<SealedToken> sealed = SealedFileStore.peek(directory, storeKey, now);
        return sealed.isEmpty() ? Optional.empty() : reader.fresh(storeKey, sealed.get(), now);
    }

    /** When the manager would first refresh {@code token}. */
    public Instant refreshAt(AccessToken token) {
        return reader.refreshAt(token);
    }
}
