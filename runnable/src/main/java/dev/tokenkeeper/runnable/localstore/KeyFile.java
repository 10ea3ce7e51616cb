package dev.tokenkeeper.runnable.localstore;

import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.domain.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The sealing-key file of a {@link LocalStore}: {@code id:base64key} in a 0600 file next to the
 * database, made on first use. Acceptable for one user's CLI only: the key sits beside the tokens
 * it seals, so it protects them from whoever gets a copy of the database alone (a backup, a
 * {@code copy} to a shared store) and from other local users, not from the user's own account.
 */
final class KeyFile {

    private KeyFile() {}

    /**
     * The keys in {@code file}, which is created with a fresh key if absent. Two processes starting
     * at once agree on one key: the new key is written to a private temporary file and linked into
     * place, which fails for the loser, who then reads the winner's.
     *
     * @throws ConfigurationException if the file is a link, belongs to another user, is readable by
     *     other users, or does not hold keys
     */
    static SealingKeys loadOrCreate(Path file, String keyId) {
        try {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                create(file, keyId);
            }
            OwnerOnly.requireOwnFile(file);
            if (OwnerOnly.sharedWithOthers(file)) {
                throw new ConfigurationException("sealing.keys: the key file " + file + " is open to other users ("
                        + OwnerOnly.describe(file) + "); run `chmod 600 " + file + "` (or delete it: its tokens are then "
                        + "fetched anew)");
            }
            String spec;
            try (InputStream in = Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
                spec = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
            }
            try {
                return SealingKeys.parse(spec);
            } catch (ConfigurationException e) {
                List<String> problems = new ArrayList<>();
                e.problems().forEach(p -> problems.add("sealing.keys: the key file " + file + ": " + p));
                throw new ConfigurationException(problems);
            }
        } catch (OwnerOnly.Refused e) {
            throw new ConfigurationException("sealing.keys: the key file " + e.getMessage());
        } catch (IOException e) {
            throw new ConfigurationException("sealing.keys: the key file " + file + " cannot be read or created ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    private static void create(Path file, String keyId) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.createFile(temp, OwnerOnly.attributes(OwnerOnly.FILE));
            OwnerOnly.narrow(temp, OwnerOnly.FILE);
            Files.writeString(temp, SealingKeys.generateSpec(keyId) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            try {
                Files.createLink(file, temp);
            } catch (FileAlreadyExistsException raced) {
                // another process made the key first: use theirs
            } catch (UnsupportedOperationException | IOException noLinks) {
                if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                    Files.move(temp, file); // no hard links here: not atomic against a racing process, but rare
                }
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
