package dev.tokenkeeper.runnable.localstore;

import dev.tokenkeeper.bootstrap.persistence.StoreUrl;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.adapter.store.jdbc.JdbiTokenStore;
import dev.tokenkeeper.adapter.store.jdbc.SchemaAction;
import dev.tokenkeeper.adapter.store.memory.MemoryTokenStore;
import dev.tokenkeeper.adapter.store.redis.RedisTokenStore;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A store named on the command line, for tools that move tokens or prepare tables:
 * {@code memory:}, {@code file:} (the local store's default directory) or {@code file:DIR},
 * {@code jdbc:h2:…} or {@code jdbc:postgresql:…}, {@code redis://…} or {@code rediss://…}.
 * Opening one needs no sealing key: tools only ever handle sealed bytes.
 *
 * <p>A password never stays in the location: it is split off (see {@link StoreUrl}) and handed to
 * the driver on its own, so no driver or parser message can show it.
 *
 * @param type memory, file, jdbc or redis
 * @param location the directory (file), the JDBC URL or the Redis URI without any password, or null (memory)
 * @param prefix the table or key prefix, or null for the store's default
 * @param credentials the location with its user and password (jdbc, redis), or null
 */
public record StoreSpec(String type, String location, String prefix, StoreUrl credentials) {

    /** Longer than the request path's 500 ms: a tool may wait for a busy server. */
    static final Duration TOOL_TIMEOUT = Duration.ofSeconds(5);

    /** What the tool does with a store. */
    public enum Use {
        /** Read it: tables are validated, never created or changed; a local file must exist. */
        SOURCE,
        /** Write it: tables are validated, or applied when asked. */
        TARGET,
        /** Write it, creating or upgrading its tables first. */
        TARGET_APPLYING_SCHEMA
    }

    public StoreSpec {
        Objects.requireNonNull(type, "type");
    }

    /** A spec without credentials. */
    public StoreSpec(String type, String location, String prefix) {
        this(type, location, prefix, location == null ? null : new StoreUrl(location, null, null));
    }

    /**
     * Parses {@code spec}.
     *
     * @param prefix the table or key prefix, or null
     * @param environment for the local store's default directory
     * @throws ConfigurationException naming {@code option} if the spec is not one of the forms
     */
    public static StoreSpec parse(String option, String spec, String prefix, Map<String, String> environment) {
        return parse(option, spec, prefix, environment, null);
    }

    /**
     * Parses {@code spec}, with {@code password} given apart from it (from a file or a variable).
     *
     * @param password the password, or null
     * @throws ConfigurationException naming {@code option} if the spec is not one of the forms, or
     *     holds a password and {@code password} is given too; no message shows a password
     */
    public static StoreSpec parse(String option, String spec, String prefix, Map<String, String> environment,
            dev.tokenkeeper.domain.Secret password) {
        Objects.requireNonNull(spec, option);
        String s = spec.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.equals("memory:") || lower.equals("memory")) {
            return new StoreSpec("memory", null, prefix);
        }
        if (lower.equals("file:") || lower.equals("file")) {
            return new StoreSpec("file", LocalStore.directory(null, environment).toString(), prefix);
        }
        if (lower.startsWith("file:")) {
            String path = s.substring("file:".length());
            if (path.startsWith("//")) {
                path = URI.create(s).getPath(); // file:///dir
            }
            return new StoreSpec("file", LocalStore.directory(path, environment).toString(), prefix);
        }
        if (lower.startsWith("jdbc:") || lower.startsWith("redis://") || lower.startsWith("rediss://")) {
            StoreUrl url = StoreUrl.split(option, s).withPassword(option, password);
            return new StoreSpec(lower.startsWith("jdbc:") ? "jdbc" : "redis", url.location(), prefix, url);
        }
        throw new ConfigurationException(option + ": not a store (the value is not shown: it may hold a password); "
                + "use memory:, file:, file:DIR, "
                + "jdbc:postgresql://…, jdbc:h2:…, redis://… or rediss://…");
    }

    /**
     * Opens the store for {@code use}.
     *
     * @throws ConfigurationException if its tables are missing (use {@link Use#TARGET_APPLYING_SCHEMA}
     *     or {@code tokenkeeper schema apply}) or unknown, or a source file does not exist
     * @throws RuntimeException (a store's own exception) if it cannot be reached
     */
    public Opened open(Use use) {
        InstantSource clock = InstantSource.system();
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            TokenStore store = switch (type) {
                case "memory" -> new MemoryTokenStore(clock);
                case "file" -> {
                    Path dir = Path.of(location);
                    if (use == Use.SOURCE && !Files.exists(dir.resolve(LocalStore.DATABASE_FILE), LinkOption.NOFOLLOW_LINKS)) {
                        throw new ConfigurationException("no token file " + dir.resolve(LocalStore.DATABASE_FILE));
                    }
                    LocalStore local = LocalStore.open(dir, clock, prefix);
                    resources.add(local);
                    if (local.inMemoryOnly()) {
                        throw new IllegalStateException("the token file in " + dir + " could not be opened (see the WARN line)");
                    }
                    yield local.store();
                }
                case "jdbc" -> {
                    if (location.regionMatches(true, 0, "jdbc:h2:", 0, "jdbc:h2:".length())) {
                        H2FileCheck.requireSafe(location); // before H2 runs what the file holds
                    }
                    HikariDataSource pool = Tokenkeeper.pool(credentials);
                    resources.add(pool);
                    JdbiTokenStore.Builder b = JdbiTokenStore.builder(pool).clock(clock).queryTimeout(TOOL_TIMEOUT)
                            .schemaAction(use == Use.TARGET_APPLYING_SCHEMA ? SchemaAction.APPLY : SchemaAction.VALIDATE);
                    if (prefix != null) {
                        b.tablePrefix(prefix);
                    }
                    yield b.build();
                }
                case "redis" -> {
                    RedisTokenStore.Builder b = Tokenkeeper.redis(credentials, TOOL_TIMEOUT);
                    if (prefix != null) {
                        b.keyPrefix(prefix);
                    }
                    RedisTokenStore r = b.build();
                    resources.add(r);
                    yield r;
                }
                default -> throw new ConfigurationException("unknown store type " + type);
            };
            return new Opened(this, store, resources);
        } catch (RuntimeException e) {
            Opened.closeAll(resources);
            throw e;
        }
    }

    /** The spec with any password in it hidden, for messages. */
    @Override
    public String toString() {
        return switch (type) {
            case "memory" -> "memory:";
            case "file" -> "file:" + location;
            default -> redact(location);
        } + (prefix == null ? "" : " (prefix " + prefix + ")");
    }

    static String redact(String text) {
        return StoreUrl.redact(text);
    }

    /** {@code text} (a driver's message) with this store's password hidden in every form. */
    public String scrub(String text) {
        return credentials == null ? StoreUrl.redact(text) : credentials.scrub(text);
    }

    /** An open store and what it holds open. */
    public static final class Opened implements AutoCloseable {
        private final StoreSpec spec;
        private final TokenStore store;
        private final List<AutoCloseable> resources;

        Opened(StoreSpec spec, TokenStore store, List<AutoCloseable> resources) {
            this.spec = spec;
            this.store = store;
            this.resources = resources;
        }

        /** The store. */
        public TokenStore store() {
            return store;
        }

        /** The spec it was opened from. */
        public StoreSpec spec() {
            return spec;
        }

        @Override
        public void close() {
            store.close();
            closeAll(resources);
        }

        static void closeAll(List<AutoCloseable> resources) {
            for (AutoCloseable r : resources) {
                try {
                    r.close();
                } catch (Exception ignored) {
                    // best effort
                }
            }
        }
    }
}
