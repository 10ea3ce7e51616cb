package dev.tokenkeeper.adapter.store.jdbc;

import dev.tokenkeeper.domain.ConfigurationException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Jdbi;

/**
 * The validated settings of a {@link JdbiTokenStore}. Checks everything at once so that one
 * {@link ConfigurationException} lists every problem, each naming its setting.
 *
 * @param dialect null to detect it from the connection
 * @param schema null for the connection's current schema
 */
record StoreOptions(
        Jdbi jdbi,
        String tablePrefix,
        String schema,
        SqlDialect dialect,
        InstantSource clock,
        Duration queryTimeout,
        int purgeBatchSize,
        SchemaAction schemaAction) {

    /**
     * Lower-case, unquoted identifiers only: they fold the same way in every database, and they are
     * safe to splice into SQL. 40 characters leave room for the longest suffix
     * ({@code tokens_expires_idx}) within PostgreSQL's 63-character names.
     */
    static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,39}");

    static final Pattern SCHEMA = Pattern.compile("[a-z][a-z0-9_]{0,62}");

    static final Duration MIN_QUERY_TIMEOUT = Duration.ofSeconds(1);
    static final Duration MAX_QUERY_TIMEOUT = Duration.ofMinutes(10);
    static final int MAX_PURGE_BATCH = 10_000;

    StoreOptions {
        List<String> problems = new ArrayList<>();
        if (jdbi == null) {
            problems.add("jdbi: must not be null");
        }
        checkPrefix(tablePrefix, problems);
        checkSchema(schema, problems);
        if (clock == null) {
            problems.add("clock: must not be null");
        }
        if (queryTimeout == null
                || queryTimeout.compareTo(MIN_QUERY_TIMEOUT) < 0
                || queryTimeout.compareTo(MAX_QUERY_TIMEOUT) > 0) {
            problems.add("queryTimeout: must be " + MIN_QUERY_TIMEOUT + " to " + MAX_QUERY_TIMEOUT + ", was " + queryTimeout);
        }
        if (purgeBatchSize < 1 || purgeBatchSize > MAX_PURGE_BATCH) {
            problems.add("purgeBatchSize: must be 1 to " + MAX_PURGE_BATCH + ", was " + purgeBatchSize);
        }
        if (schemaAction == null) {
            problems.add("schemaAction: must not be null");
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }
    }

    static void checkPrefix(String tablePrefix, List<String> problems) {
        if (tablePrefix == null || !PREFIX.matcher(tablePrefix).matches()) {
            problems.add("tablePrefix: must be 1 to 40 characters of [a-z0-9_] starting with a letter, was "
                    + (tablePrefix == null ? "null" : "'" + tablePrefix + "'"));
        }
    }

    static void checkSchema(String schema, List<String> problems) {
        if (schema != null && !SCHEMA.matcher(schema).matches()) {
            problems.add("schema: must be null (the connection's current schema) or 1 to 63 characters of [a-z0-9_] "
                    + "starting with a letter, was '" + schema + "'");
        }
    }
}
