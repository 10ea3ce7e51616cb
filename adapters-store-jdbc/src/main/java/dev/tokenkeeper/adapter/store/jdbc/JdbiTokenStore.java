package dev.tokenkeeper.adapter.store.jdbc;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import javax.sql.DataSource;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * A {@link TokenStore} in a relational database, through Jdbi: tokens shared by every instance that
 * points at the same tables, and leases that let exactly one of them refresh a key at a time.
 *
 * <pre>{@code
 * TokenStore store = JdbiTokenStore.builder(jdbi)
 *         .tablePrefix("tokenkeeper_")
 *         .schemaAction(SchemaAction.APPLY)
 *         .build();
 * }</pre>
 *
 * <h2>Tables</h2>
 * See {@link JdbiSchema}: one table of tokens, one of leases, one of schema versions; H2 and
 * PostgreSQL scripts ship with the library ({@link SqlDialect} says what another database needs).
 *
 * <h2>Atomicity</h2>
 * Every operation is one statement in auto-commit. {@link #save} is an upsert
 * ({@code INSERT … ON CONFLICT DO UPDATE} on PostgreSQL, {@code MERGE} on H2) that replaces the
 * whole row and bumps its {@code version}, so a reader sees the old row or the new one. {@link #tryLease}
 * is an upsert that writes only when there is no lease row or its lease has ended: of any number
 * of racing instances exactly one gets an affected row. {@link #release} and {@link #extend} are
 * conditioned on the owner and on the lease not having ended. Where H2's {@code MERGE} races to a
 * duplicate key, a save retries and a lease attempt reports "taken".
 *
 * <h2>Time</h2>
 * Expiry and leases are judged by the injected {@link Builder#clock(InstantSource) clock}, not by
 * the database's clock: the expiry instants in {@link SealedToken}s come from the application's
 * clock, so comparing them with the same kind of clock keeps a token's lifetime what the expiry
 * policy decided even when the database server's clock is off; and tests (the store
 * compatibility kit among them) move an injected clock instead of sleeping. The price: instances
 * sharing the tables must keep their clocks in step (NTP), since an instance whose clock runs
 * ahead by Δ sees a lease end Δ early. With leases of tens of seconds and NTP's milliseconds this
 * costs nothing; a badly skewed instance causes at worst a duplicate token request, never a wrong
 * token (saves are last-write-wins). Leases are kept in epoch milliseconds, their end rounded up.
 *
 * <h2>Expired rows</h2>
 * Reads filter expired tokens and ended leases, so expired rows are invisible whether or not they
 * were purged. {@link #purgeExpired()} deletes them in batches of
 * {@link Builder#purgeBatchSize(int)} rows per statement, skipping rows a writer holds, so that it
 * never blocks readers (PostgreSQL's MVCC readers take no row locks) or writers for long. Run it
 * from a scheduler now and then; nothing in the store calls it.
 *
 * <h2>Bad data</h2>
 * A row with null or empty bytes, an impossible expiry or an invalid key reads as absent, never as
 * an exception: a store that holds garbage degrades to a cache miss.
 *
 * <h2>Failures and timeouts</h2>
 * Database failures surface as unchecked {@link org.jdbi.v3.core.JdbiException}s, as the port
 * allows. Each statement has a {@link Builder#queryTimeout(Duration) query timeout}; configure
 * the connection pool's checkout timeout and the driver's connect/socket timeouts too (for
 * PostgreSQL {@code connectTimeout} and {@code socketTimeout}) so that every call is bounded.
 *
 * <p>Thread-safe; stateless apart from its settings. {@link #close()} does nothing: the
 * {@code Jdbi} or {@code DataSource} belongs to the caller, who closes it.
 */
public final class JdbiTokenStore implements TokenStore {

    /**
     * Tables named {@code tokenkeeper_tokens} and so on: recognisable in a shared database and
     * unlikely to collide with an application's own tables.
     */
    public static final String DEFAULT_TABLE_PREFIX = "tokenkeeper_";

    /**
     * Five seconds per statement: every statement touches one row by primary key (or a small batch),
     * so a longer wait means the database is in trouble, and the caller then falls back to a cache
     * miss rather than hanging on the request path.
     */
    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(5);

    /**
     * 500 rows per purge statement: small enough that each delete holds its row locks for
     * milliseconds, large enough to clear a backlog in a few round trips.
     */
    public static final int DEFAULT_PURGE_BATCH_SIZE = 500;

    /** Validate, don't migrate: running DDL is the operator's decision (see {@link SchemaAction}). */
    public static final SchemaAction DEFAULT_SCHEMA_ACTION = SchemaAction.VALIDATE;

    /** Rows fetched per round trip by {@link #forEach}; no connection is held while the action runs. */
    static final int FOR_EACH_PAGE_SIZE = 500;

    /** Attempts of a save whose MERGE lost an insert race on H2; the second one finds the row. */
    private static final int SAVE_ATTEMPTS = 3;

    /** 128 random bits per lease owner: unguessable, as {@link Lease} asks. */
    private static final int OWNER_BYTES = 16;

    private static final String LIVE_TOKEN =
            "(expires_epoch_second > :nowSecond OR (expires_epoch_second = :nowSecond AND expires_nano > :nowNano))";
    private static final String EXPIRED_TOKEN =
            "(expires_epoch_second < :nowSecond OR (expires_epoch_second = :nowSecond AND expires_nano <= :nowNano))";

    private final StoreOptions settings;
    private final Jdbi jdbi;
    private final SqlDialect dialect;
    private final Tables tables;
    private final InstantSource clock;
    private final JdbiSchema schema;
    private final SecureRandom random = new SecureRandom();

    // the statements, built once: names were validated, so they are plain text
    private final String selectToken;
    private final String upsertToken;
    private final String deleteToken;
    private final String pageTokens;
    private final String purgeTokens;
    private final String tryLease;
    private final String releaseLease;
    private final String extendLease;
    private final String purgeLeases;
    private final String selectLeaseOwner;

    private JdbiTokenStore(StoreOptions settings, SqlDialect dialect) {
        this.settings = settings;
        this.jdbi = settings.jdbi();
        this.dialect = dialect;
        this.tables = new Tables(settings.schema(), settings.tablePrefix());
        this.clock = settings.clock();
        this.schema = new JdbiSchema(jdbi, dialect, tables);
        String t = tables.tokens();
        String l = tables.leases();
        this.selectToken = "SELECT store_key, sealed, expires_epoch_second, expires_nano FROM " + t
                + " WHERE store_key = :key AND " + LIVE_TOKEN;
        this.upsertToken = dialect.upsertToken(tables);
        this.deleteToken = "DELETE FROM " + t + " WHERE store_key = :key AND " + LIVE_TOKEN;
        this.pageTokens = "SELECT store_key, sealed, expires_epoch_second, expires_nano FROM " + t
                + " WHERE store_key > :after AND " + LIVE_TOKEN + " ORDER BY store_key LIMIT :limit";
        // the outer condition is re-checked on the row's latest version, so a row saved again
        // between the sub-select and the delete survives
        this.purgeTokens = dialect.purge(t, EXPIRED_TOKEN);
        this.tryLease = dialect.tryLease(tables);
        this.releaseLease = "DELETE FROM " + l + " WHERE store_key = :key AND owner = :owner AND lease_until > :now";
        this.extendLease = "UPDATE " + l + " SET lease_until = :until"
                + " WHERE store_key = :key AND owner = :owner AND lease_until > :now";
        this.purgeLeases = dialect.purge(l, "lease_until <= :now");
        this.selectLeaseOwner = "SELECT COUNT(*) FROM " + l + " WHERE store_key = :key AND owner = :owner";
    }

    /**
     * A builder over {@code jdbi}. The adapter sets its own parser, template engine and timeout on
     * each handle it opens and leaves the caller's {@code Jdbi} configuration alone.
     */
    public static Builder builder(Jdbi jdbi) {
        return new Builder(Objects.requireNonNull(jdbi, "jdbi"));
    }

    /** A builder over {@code dataSource} (typically a connection pool). */
    public static Builder builder(DataSource dataSource) {
        return new Builder(Jdbi.create(Objects.requireNonNull(dataSource, "dataSource")));
    }

    /** The tables this store uses, to {@link JdbiSchema#apply() apply} or {@link JdbiSchema#validate() validate}. */
    public JdbiSchema schema() {
        return schema;
    }

    /** The dialect in use, set or detected. */
    public SqlDialect dialect() {
        return dialect;
    }

    @Override
    public Optional<SealedToken> load(StoreKey key) {
        Objects.requireNonNull(key, "key");
        Instant now = clock.instant();
        Optional<Row> row = withHandle(h -> h.createQuery(selectToken)
                .bind("key", key.value())
                .bind("nowSecond", now.getEpochSecond())
                .bind("nowNano", now.getNano())
                .map(Row::read)
                .findFirst());
        return row.flatMap(r -> r.token(now));
    }

    @Override
    public void save(StoreKey key, SealedToken token) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(token, "token");
        byte[] bytes = token.bytes();
        Instant expiresAt = token.expiresAt();
        for (int attempt = 1; ; attempt++) {
            try {
                withHandle(h -> h.createUpdate(upsertToken)
                        .bind("key", key.value())
                        .bind("sealed", bytes)
                        .bind("second", expiresAt.getEpochSecond())
                        .bind("nano", expiresAt.getNano())
                        .execute());
                return;
            } catch (RuntimeException e) {
                if (attempt >= SAVE_ATTEMPTS || !Handles.isUniqueViolation(e)) {
                    throw e;
                }
            }
        }
    }

    /** {@inheritDoc} An expired entry counts as absent: it is left to {@link #purgeExpired()}. */
    @Override
    public boolean delete(StoreKey key) {
        Objects.requireNonNull(key, "key");
        Instant now = clock.instant();
        return withHandle(h -> h.createUpdate(deleteToken)
                .bind("key", key.value())
                .bind("nowSecond", now.getEpochSecond())
                .bind("nowNano", now.getNano())
                .execute()) > 0;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if {@code ttl} is not positive
     */
    @Override
    public Optional<Lease> tryLease(StoreKey key, Duration ttl) {
        Objects.requireNonNull(key, "key");
        requirePositive(ttl);
        String owner = newOwner();
        Instant now = clock.instant();
        int won;
        try {
            won = withHandle(h -> {
                int rows = h.createUpdate(tryLease)
                        .bind("key", key.value())
                        .bind("owner", owner)
                        .bind("until", leaseEnd(now, ttl))
                        .bind("now", now.toEpochMilli())
                        .execute();
                if (!dialect.confirmsLeaseByOwner() || rows == 0) {
                    return rows;
                }
                // the owner is this attempt's own random value: the row holds it only if this call won
                return h.createQuery(selectLeaseOwner).bind("key", key.value()).bind("owner", owner)
                        .mapTo(Integer.class).one() > 0 ? 1 : 0;
            });
        } catch (RuntimeException e) {
            if (Handles.isUniqueViolation(e)) {
                return Optional.empty(); // H2: another instance inserted the lease row first
            }
            throw e;
        }
        return won == 1 ? Optional.of(new Lease(key, owner)) : Optional.empty();
    }

    @Override
    public boolean release(Lease lease) {
        Objects.requireNonNull(lease, "lease");
        Instant now = clock.instant();
        return withHandle(h -> h.createUpdate(releaseLease)
                .bind("key", lease.key().value())
                .bind("owner", lease.owner())
                .bind("now", now.toEpochMilli())
                .execute()) == 1;
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if {@code ttl} is not positive
     */
    @Override
    public boolean extend(Lease lease, Duration ttl) {
        Objects.requireNonNull(lease, "lease");
        requirePositive(ttl);
        Instant now = clock.instant();
        return withHandle(h -> h.createUpdate(extendLease)
                .bind("key", lease.key().value())
                .bind("owner", lease.owner())
                .bind("until", leaseEnd(now, ttl))
                .bind("now", now.toEpochMilli())
                .execute()) == 1;
    }

    /**
     * {@inheritDoc} Walks the live entries in store-key order, a page of rows per query, without
     * holding a connection or transaction while {@code action} runs; rows with bad data are skipped.
     */
    @Override
    public void forEach(BiConsumer<StoreKey, SealedToken> action) {
        Objects.requireNonNull(action, "action");
        Instant now = clock.instant();
        String after = "";
        while (true) {
            String from = after;
            List<Row> page = withHandle(h -> h.createQuery(pageTokens)
                    .bind("after", from)
                    .bind("nowSecond", now.getEpochSecond())
                    .bind("nowNano", now.getNano())
                    .bind("limit", FOR_EACH_PAGE_SIZE)
                    .map(Row::read)
                    .list());
            for (Row row : page) {
                Optional<StoreKey> key = row.storeKey();
                Optional<SealedToken> token = row.token(now);
                if (key.isPresent() && token.isPresent()) {
                    action.accept(key.get(), token.get());
                }
            }
            if (page.size() < FOR_EACH_PAGE_SIZE) {
                return;
            }
            after = page.get(page.size() - 1).key();
        }
    }

    /**
     * Deletes expired tokens and ended leases, a batch per statement, until none is left that was
     * expired when the call began. Housekeeping only: reads never see expired rows anyway.
     *
     * @return how many rows (tokens and leases) were deleted
     * @throws org.jdbi.v3.core.JdbiException if the database fails; what was deleted stays deleted
     */
    public int purgeExpired() {
        Instant now = clock.instant();
        int batch = settings.purgeBatchSize();
        int total = 0;
        int deleted;
        do {
            deleted = withHandle(h -> h.createUpdate(purgeTokens)
                    .bind("nowSecond", now.getEpochSecond())
                    .bind("nowNano", now.getNano())
                    .bind("limit", batch)
                    .execute());
            total += deleted;
        } while (deleted >= batch);
        do {
            deleted = withHandle(h -> h.createUpdate(purgeLeases)
                    .bind("now", now.toEpochMilli())
                    .bind("limit", batch)
                    .execute());
            total += deleted;
        } while (deleted >= batch);
        return total;
    }

    /** {@inheritDoc} Always true: entries outlive the process and are shared through the database. */
    @Override
    public boolean isPersistent() {
        return true;
    }

    /** Does nothing: the {@code Jdbi} or {@code DataSource} belongs to the caller. */
    @Override
    public void close() {}

    @Override
    public String toString() {
        return "JdbiTokenStore[" + dialect + ", " + tables.describe() + "]";
    }

    private <R> R withHandle(HandleCallback<R, RuntimeException> callback) {
        return jdbi.withHandle(h -> callback.withHandle(Handles.configure(h, settings.queryTimeout())));
    }

    private String newOwner() {
        byte[] bytes = new byte[OWNER_BYTES];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static void requirePositive(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isZero() || ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must be positive, was " + ttl);
        }
    }

    /** {@code now + ttl} in epoch milliseconds, rounded up, saturating instead of overflowing. */
    static long leaseEnd(Instant now, Duration ttl) {
        try {
            Instant end = now.plus(ttl);
            long millis = end.toEpochMilli();
            return end.getNano() % 1_000_000 == 0 ? millis : Math.addExact(millis, 1);
        } catch (ArithmeticException | DateTimeException e) {
            return Long.MAX_VALUE;
        }
    }

    /** A token row as read, before its data is trusted. */
    record Row(String key, byte[] sealed, long second, long nano) {

        static Row read(ResultSet rs, StatementContext ctx) throws SQLException {
            return new Row(rs.getString("store_key"), rs.getBytes("sealed"), rs.getLong("expires_epoch_second"),
                    rs.getLong("expires_nano"));
        }

        /** The token, unless the row holds bad data or has expired at {@code now}. */
        Optional<SealedToken> token(Instant now) {
            if (sealed == null || sealed.length == 0 || nano < 0 || nano > 999_999_999) {
                return Optional.empty();
            }
            try {
                Instant expiresAt = Instant.ofEpochSecond(second, nano);
                return expiresAt.isAfter(now) ? Optional.of(new SealedToken(sealed, expiresAt)) : Optional.empty();
            } catch (DateTimeException e) {
                return Optional.empty();
            }
        }

        Optional<StoreKey> storeKey() {
            try {
                return Optional.of(new StoreKey(key));
            } catch (RuntimeException e) {
                return Optional.empty();
            }
        }
    }

    /**
     * Builds a {@link JdbiTokenStore}. Every setting has a default; {@link #build()} checks them all
     * and reports every problem at once. Not thread-safe; use one builder per store.
     */
    public static final class Builder {

        private final Jdbi jdbi;
        private String tablePrefix = DEFAULT_TABLE_PREFIX;
        private String schema;
        private SqlDialect dialect;
        private InstantSource clock = InstantSource.system();
        private Duration queryTimeout = DEFAULT_QUERY_TIMEOUT;
        private int purgeBatchSize = DEFAULT_PURGE_BATCH_SIZE;
        private SchemaAction schemaAction = DEFAULT_SCHEMA_ACTION;

        private Builder(Jdbi jdbi) {
            this.jdbi = jdbi;
        }

        /**
         * The prefix of the table names: 1 to 40 characters of {@code [a-z0-9_]} starting with a
         * letter. Default {@value JdbiTokenStore#DEFAULT_TABLE_PREFIX}. Several stores (or test
         * runs) can share a schema with different prefixes.
         */
        public Builder tablePrefix(String tablePrefix) {
            this.tablePrefix = tablePrefix;
            return this;
        }

        /**
         * The database schema that holds the tables, which must exist: 1 to 63 characters of
         * {@code [a-z0-9_]} starting with a letter, or null (the default) for the connection's
         * current schema.
         */
        public Builder schema(String schema) {
            this.schema = schema;
            return this;
        }

        /** The SQL dialect; by default detected from the connection's metadata at {@link #build()}. */
        public Builder dialect(SqlDialect dialect) {
            this.dialect = dialect;
            return this;
        }

        /**
         * The clock that judges token expiry and lease ends (see "Time" in {@link JdbiTokenStore}).
         * Default {@link InstantSource#system()}.
         */
        public Builder clock(InstantSource clock) {
            this.clock = clock;
            return this;
        }

        /**
         * The time allowed to each statement, 1 second to 10 minutes, counted in whole seconds
         * (rounded up). Default {@link JdbiTokenStore#DEFAULT_QUERY_TIMEOUT}.
         */
        public Builder queryTimeout(Duration queryTimeout) {
            this.queryTimeout = queryTimeout;
            return this;
        }

        /**
         * The rows {@link JdbiTokenStore#purgeExpired()} deletes per statement, 1 to 10,000.
         * Default {@value JdbiTokenStore#DEFAULT_PURGE_BATCH_SIZE}.
         */
        public Builder purgeBatchSize(int purgeBatchSize) {
            this.purgeBatchSize = purgeBatchSize;
            return this;
        }

        /** What {@link #build()} does about the tables. Default {@link SchemaAction#VALIDATE}. */
        public Builder schemaAction(SchemaAction schemaAction) {
            this.schemaAction = schemaAction;
            return this;
        }

        /**
         * The store. Detects the dialect if none was set, then validates or applies the schema as
         * {@link #schemaAction(SchemaAction)} says: both open a connection.
         *
         * @throws ConfigurationException if a setting is invalid (every problem is listed), or the
         *     tables are missing or unknown to this library
         * @throws IllegalArgumentException if the database is not supported
         * @throws org.jdbi.v3.core.JdbiException if the database cannot be reached
         */
        public JdbiTokenStore build() {
            StoreOptions settings = new StoreOptions(jdbi, tablePrefix, schema, dialect, clock, queryTimeout, purgeBatchSize,
                    schemaAction);
            SqlDialect resolved = settings.dialect() != null ? settings.dialect() : SqlDialect.detect(jdbi);
            JdbiTokenStore store = new JdbiTokenStore(settings, resolved);
            switch (settings.schemaAction()) {
                case APPLY -> store.schema.apply();
                case VALIDATE -> store.schema.validate();
                case NONE -> { }
            }
            return store;
        }
    }
}
