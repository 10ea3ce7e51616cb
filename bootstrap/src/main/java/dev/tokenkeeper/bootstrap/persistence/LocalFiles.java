package dev.tokenkeeper.bootstrap.persistence;

import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;

/**
 * The local token file ({@code store.type=file}): one user's sealed tokens in one file in a private
 * directory ({@link #SEALED_FILE}; a directory an earlier version made keeps its H2 database,
 * {@link #DATABASE_FILE}), kept across runs of the command line. The H2 side needs the H2 database
 * engine, which an embedding application should not receive from a library, so its implementation
 * lives in {@code tokenkeeper-runnable} and is found with {@link ServiceLoader}; without it,
 * {@code store.type=file} fails with a {@link ConfigurationException} that says so.
 *
 * <p>Implementations are thread-safe.
 */
public interface LocalFiles {

    /** The environment variable that moves the directory (before {@code XDG_CONFIG_HOME}). */
    String HOME_VARIABLE = "TOKENKEEPER_HOME";

    /** The single sealed token file in the directory: the default for a directory without {@link #DATABASE_FILE}. */
    String SEALED_FILE = "tokens.sealed";

    /** The H2 database file in the directory, used where it already exists. */
    String DATABASE_FILE = "tokens.mv.db";

    /** The sealing-key file made in the directory when no key is configured. */
    String KEY_FILE = "sealing.key";

    /** An open token file. */
    interface Opened extends AutoCloseable {

        /** The store: the file, or memory when the file could not be had for this run. */
        TokenStore store();

        /** Whether the file could not be had and tokens live in memory for this run. */
        boolean inMemoryOnly();

        @Override
        void close();
    }

    /**
     * Opens the token file in {@code directory}, creating what is missing.
     *
     * @param tablePrefix the table prefix, or null for the default
     * @throws ConfigurationException if the directory or file is not the user's own, or holds
     *     anything tokenkeeper never creates
     */
    Opened open(Path directory, InstantSource clock, String tablePrefix);

    /**
     * The sealing keys kept beside the token file in {@code directory}, made on first use.
     *
     * @throws ConfigurationException if the key file is open to other users or holds no valid key
     */
    SealingKeys sealingKeys(Path directory);

    /**
     * Checks the local database file a {@code jdbc:h2:} URL names, if any, before H2 opens it (H2
     * runs the schema statements a file holds when it opens it).
     *
     * @throws ConfigurationException if the file holds anything tokenkeeper never creates
     */
    void requireSafeH2(String jdbcUrl);

    /** The implementation on the class path, if any. */
    static java.util.Optional<LocalFiles> find() {
        return ServiceLoader.load(LocalFiles.class, LocalFiles.class.getClassLoader()).findFirst();
    }

    /**
     * The implementation on the class path.
     *
     * @throws ConfigurationException if there is none (tokenkeeper-runnable is not on the class path)
     */
    static LocalFiles installed() {
        return find().orElseThrow(() -> new ConfigurationException("store.type=file: the local token file is part of "
                        + "tokenkeeper-runnable (it needs the H2 engine), which is not on the class path; an embedding "
                        + "application uses store.type=memory, redis or jdbc"));
    }

    /**
     * The directory of the local token file: {@code configured} (the {@code store.path} setting; a
     * leading {@code ~/} is the home directory) if given, else {@code $TOKENKEEPER_HOME}, else
     * {@code $XDG_CONFIG_HOME/tokenkeeper}, else {@code ~/.config/tokenkeeper}. Absolute.
     */
    static Path directory(String configured, Map<String, String> environment) {
        Objects.requireNonNull(environment, "environment");
        String home = environment.getOrDefault("HOME", System.getProperty("user.home"));
        if (configured != null && !configured.isBlank()) {
            String c = configured.strip();
            Path p = c.equals("~") ? Path.of(home) : c.startsWith("~/") ? Path.of(home, c.substring(2)) : Path.of(c);
            return p.toAbsolutePath().normalize();
        }
        String tk = environment.get(HOME_VARIABLE);
        if (tk != null && !tk.isBlank()) {
            return Path.of(tk.strip()).toAbsolutePath().normalize();
        }
        String xdg = environment.get("XDG_CONFIG_HOME");
        if (xdg != null && Path.of(xdg).isAbsolute()) { // the XDG spec: a relative value is ignored
            return Path.of(xdg, "tokenkeeper").normalize();
        }
        return Path.of(home, ".config", "tokenkeeper").toAbsolutePath().normalize();
    }
}
