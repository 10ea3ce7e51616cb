package dev.tokenkeeper.adapter.store.jdbc;

import java.sql.SQLException;
import java.time.Duration;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.ColonPrefixSqlParser;
import org.jdbi.v3.core.statement.SqlParser;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.statement.TemplateEngine;

/** What every handle the adapter opens is set to, whatever the caller configured on its {@code Jdbi}. */
final class Handles {

    /** SQLState of a unique-key violation, the same in H2, PostgreSQL and the SQL standard. */
    private static final String UNIQUE_VIOLATION = "23505";

    /**
     * One parser for every handle: Jdbi's parsers cache parsed statements per instance, so a parser
     * made per handle re-parsed every statement on every call (milliseconds each on the request
     * path). The cache is thread-safe and bounded; the adapter's statements are a handful per store.
     */
    private static final SqlParser PARSER = new ColonPrefixSqlParser();

    private Handles() {}

    /**
     * Our SQL is plain text with {@code :name} parameters: no template engine may rewrite it (the
     * caller's {@code Jdbi} might use one that treats {@code <} specially), and each statement gets
     * a query timeout so that every call returns in bounded time. Changes only this handle's copy of
     * the configuration.
     */
    static Handle configure(Handle handle, Duration queryTimeout) {
        handle.setTemplateEngine(TemplateEngine.NOP);
        handle.setSqlParser(PARSER);
        handle.getConfig(SqlStatements.class).setQueryTimeout(seconds(queryTimeout));
        return handle;
    }

    /** JDBC counts timeouts in whole seconds; a fraction rounds up so that no timeout becomes 0 (none). */
    static int seconds(Duration timeout) {
        long s = timeout.getSeconds() + (timeout.getNano() > 0 ? 1 : 0);
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, s));
    }

    /** Whether {@code e} or one of its causes is a unique-key violation. */
    static boolean isUniqueViolation(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && UNIQUE_VIOLATION.equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
