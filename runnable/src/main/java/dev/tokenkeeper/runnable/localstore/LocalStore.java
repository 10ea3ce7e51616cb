package dev.tokenkeeper.runnable.localstore;

import dev.tokenkeeper.adapter.store.jdbc.JdbiTokenStore;
import dev.tokenkeeper.adapter.store.jdbc.SchemaAction;
import dev.tokenkeeper.adapter.store.jdbc.SqlDialect;
import dev.tokenkeeper.adapter.store.memory.MemoryTokenStore;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.bootstrap.persistence.LocalFiles;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Objects;
import org.h2.jdbcx.JdbcDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store that keeps one user's tokens across runs of the CLI: an embedded H2 database file in
 * a directory only the user can enter, holding sealed tokens in the JDBC store's tables.
 *
 * <h2>Files</h2>
 * In {@link #directory(String, Map) the directory} (mode 0700): {@value #DATABASE_FILE} (0600),
 * the database; and, when no sealing key is configured, {@value #KEY_FILE} (0600), the key that
 * seals the tokens (see {@link #sealingKeys(Path)}). Nothing else: H2 runs with OS file locking
 * ({@code FILE_LOCK=FS}, no {@code .lock.db}) and no trace file. Java cannot set the umask H2
 * creates files with, so the database file is created here first, owner-only, and H2 writes
 * into it; after use, every file of the database is checked again. The directory and everything
 * in it must belong to the user and none of it may be a symbolic link (see {@link OwnerOnly}).
 *
 * <h2>Nothing in the file runs</h2>
 * H2 executes the schema statements stored in a database when it opens it, and those may carry
 * code (a trigger or function in Java source). Before H2 sees the file, {@link H2FileCheck} reads
 * those statements with H2's storage layer alone and refuses the file unless it holds only what
 * the JDBC store's script makes: a file from a backup, another machine or another user never runs
 * code here.
 *
 * <h2>One process at a time</h2>
 * The open database is locked by the process that has it, for as long as it runs (a CLI run:
 * about a second). Another process waits up to {@link #LOCK_WAIT} for it, then runs without
 * the file (a memory store, and a WARN line), as a store that fails must degrade to a miss and
 * never fail a caller. The waiting is what makes two concurrent first runs share one token
 * request: the second opens the file after the first has saved its token.
 *
 * <p>Not thread-safe to open and close; {@link #store()} is thread-safe.
 */
public final class LocalStore implements LocalFiles.Opened {

    /** The database name; H2 adds {@code .mv.db}. */
    public static final String DATABASE_NAME = "tokens";

    /** The database file. */
    public static final String DATABASE_FILE = LocalFiles.DATABASE_FILE;

    /** The sealing-key file made when no key is configured. */
    public static final String KEY_FILE = LocalFiles.KEY_FILE;

    /** The id of the key in a generated key file (written in clear in each sealed entry's header). */
    public static final String KEY_ID = "local1";

    /** The environment variable that moves the directory (before {@code XDG_CONFIG_HOME}). */
    public static final String HOME_VARIABLE = LocalFiles.HOME_VARIABLE;

    /**
     * How long to wait for another process to let go of the file: longer than one token request
     * with its retries (15 s by default), so that a concurrent run finds the token it was waiting for.
     */
    public static final Duration LOCK_WAIT = Duration.ofSeconds(20);

    /** H2's error code for "Database may be already in use" (ErrorCode.DATABASE_ALREADY_OPEN_1). */
    static final int DATABASE_IN_USE = 90020;

    private static final String USER = "tokenkeeper";
    private static final Duration RETRY_PAUSE = Duration.ofMillis(100);
    private static final Logger LOG = LoggerFactory.getLogger("dev.tokenkeeper");

    private final Path directory;
    private final Connection keeper;
    private final TokenStore store;

    private LocalStore(Path directory, Connection keeper, TokenStore store) {
        this.directory = directory;
        this.keeper = keeper;
        this.store = store;
    }

    /** The directory of the local store; see {@link LocalFiles#directory}. */
    public static Path directory(String configured, Map<String, String> environment) {
        return LocalFiles.directory(configured, environment);
    }

    /** The JDBC URL of the database in {@code directory}, for tools (the store opens it itself). */
    public static String jdbcUrl(Path directory) {
        // FILE_LOCK=FS: the OS lock on the file itself, no .lock.db; TRACE_LEVEL_FILE=0: no .trace.db
        return "jdbc:h2:file:" + directory.toAbsolutePath().resolve(DATABASE_NAME) + ";FILE_LOCK=FS;TRACE_LEVEL_FILE=0";
    }

    /** The user name the database is created with (no password: the file's mode protects it). */
    public static String user() {
        return USER;
    }

    /**
     * The sealing keys kept in {@code directory}'s {@value #KEY_FILE}, created (0600, a new
     * AES-256 key with id {@value #KEY_ID}) on first use. For the local store only: a store that
     * other machines share must be given its keys, or each machine would seal with its own.
     *
     * @throws ConfigurationException if the file is open to other users or holds no valid key
     */
    public static SealingKeys sealingKeys(Path directory) {
        prepareDirectory(directory);
        return KeyFile.loadOrCreate(directory.resolve(KEY_FILE), KEY_ID);
    }

    /**
     * Opens the store in {@code directory}, creating the directory, the database and its tables as
     * needed; tables this library does not know are refused, never altered. Waits up to
     * {@link #LOCK_WAIT} for another process to let go of the file; if it does not, or the file
     * cannot be opened at all, logs a WARN and returns a store that keeps tokens in memory.
     *
     * @param tablePrefix the table prefix, or null for the JDBC store's default
     * @throws ConfigurationException if the directory cannot be made private; if it, or anything in
     *     it, is a symbolic link or belongs to another user; if the database holds anything tokenkeeper
     *     never creates (a trigger, a function: anything that would run when H2 opens it, which it then
     *     does not); or if it holds tables of the prefix that this library does not know
     */
    public static LocalStore open(Path directory, InstantSource clock, String tablePrefix) {
        return open(directory, clock, tablePrefix, LOCK_WAIT);
    }

    static LocalStore open(Path directory, InstantSource clock, String tablePrefix, Duration lockWait) {
        Objects.requireNonNull(clock, "clock");
        prepareDirectory(directory);
        Path file = directory.resolve(DATABASE_FILE);
        try {
            OwnerOnly.file(file);
        } catch (OwnerOnly.Refused e) {
            throw new ConfigurationException("store.path: " + e.getMessage());
        } catch (IOException e) {
            throw new ConfigurationException("store.path: cannot create " + file + " (" + e.getClass().getSimpleName() + ")");
        }
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL(jdbcUrl(directory));
        ds.setUser(USER);
        ds.setPassword("");
        Connection keeper;
        try {
            keeper = connect(ds, file, lockWait);
        } catch (Unusable e) {
            LOG.warn("token file {}: {}; this run keeps its token in memory only", file, e.getMessage());
            return new LocalStore(directory, null, new MemoryTokenStore(clock));
        }
        try {
            JdbiTokenStore.Builder b = JdbiTokenStore.builder(ds)
                    .dialect(SqlDialect.H2)
                    .clock(clock)
                    .schemaAction(SchemaAction.APPLY);
            if (tablePrefix != null) {
                b.tablePrefix(tablePrefix);
            }
            return new LocalStore(directory, keeper, b.build());
        } catch (ConfigurationException e) {
            closeQuietly(keeper);
            throw e;
        } catch (RuntimeException e) {
            closeQuietly(keeper);
            LOG.warn("token file {}: its tables cannot be prepared ({}); this run keeps its token in memory only", file,
                    e.getClass().getSimpleName());
            return new LocalStore(directory, null, new MemoryTokenStore(clock));
        }
    }

    /** The store: the database, or memory if the file could not be had. */
    @Override
    public TokenStore store() {
        return store;
    }

    /** Whether the file could not be had and tokens live in memory for this run. */
    @Override
    public boolean inMemoryOnly() {
        return keeper == null;
    }

    /** The directory. */
    public Path directory() {
        return directory;
    }

    /** Closes the database (letting other processes have it) and checks its files are still 0600. */
    @Override
    public void close() {
        store.close();
        if (keeper != null) {
            closeQuietly(keeper);
            narrowDatabaseFiles(directory);
        }
    }

    @Override
    public String toString() {
        return "LocalStore[" + directory + (keeper == null ? ", in memory only" : "") + "]";
    }

    /**
     * Opens the database once nothing in it can run (see {@link H2FileCheck}), waiting up to
     * {@code lockWait} for another process to let go of it. The file is inspected again before each
     * attempt: the process that had it may have changed it.
     *
     * @throws ConfigurationException if the file holds anything tokenkeeper does not make
     * @throws Unusable if it stays in use, cannot be read, or H2 cannot open it
     */
    private static Connection connect(JdbcDataSource ds, Path file, Duration lockWait) throws Unusable {
        long deadline = System.nanoTime() + lockWait.toNanos();
        while (true) {
            H2FileCheck.Finding f = H2FileCheck.inspect(file);
            boolean inUse = false;
            switch (f.kind()) {
                case FOREIGN -> throw foreign(file, f.detail());
                case UNREADABLE -> throw new Unusable("it cannot be read as a token file (" + f.detail() + ")");
                case IN_USE -> inUse = true;
                case CLEAN -> {
                    try {
                        return ds.getConnection();
                    } catch (SQLException e) {
                        if (e.getErrorCode() != DATABASE_IN_USE) {
                            throw new Unusable("it cannot be opened (H2 error " + e.getErrorCode() + ")");
                        }
                        inUse = true;
                    }
                }
            }
            if (inUse && System.nanoTime() - deadline >= 0) {
                throw new Unusable("it is in use by another process for more than " + lockWait.toSeconds() + "s");
            }
            try {
                Thread.sleep(RETRY_PAUSE.toMillis());
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new Unusable("interrupted while waiting for another process to let go of it");
            }
        }
    }

    /** The refusal of a database file that holds objects tokenkeeper never makes. */
    static ConfigurationException foreign(Path file, String what) {
        return new ConfigurationException("store.path: the token file " + file + " holds " + what + ", which tokenkeeper "
                + "never creates; it is not opened, since opening it would run what it holds. Move it away or delete it "
                + "(its tokens are then fetched anew), and find out where it came from");
    }

    /** The database file cannot be had for this run: the store then keeps tokens in memory. */
    private static final class Unusable extends Exception {
        private static final long serialVersionUID = 1L;

        Unusable(String why) {
            super(why, null, false, false);
        }
    }

    static void prepareDirectory(Path directory) {
        Objects.requireNonNull(directory, "directory");
        try {
            if (OwnerOnly.directory(directory)) {
                LOG.warn("token directory {} was open to other users; its mode is now rwx------", directory);
            }
            OwnerOnly.entries(directory);
        } catch (OwnerOnly.Refused e) {
            throw new ConfigurationException("store.path: " + e.getMessage());
        } catch (IOException e) {
            throw new ConfigurationException("store.path: cannot create the directory " + directory + " with mode 0700 ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    /** H2 writes into the file made for it, but any file it adds (a temporary one) is narrowed too. */
    static void narrowDatabaseFiles(Path directory) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, DATABASE_NAME + ".*")) {
            for (Path f : files) {
                if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    OwnerOnly.narrow(f, OwnerOnly.FILE);
                }
            }
        } catch (IOException e) {
            LOG.warn("token directory {}: cannot check the modes of its files ({})", directory, e.getClass().getSimpleName());
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // closing is best effort; the JVM's exit closes the database anyway
        }
    }
}
