/**
 * The JDBC {@code TokenStore}, on Jdbi, with its schema ({@code JdbiSchema}) and SQL dialects.
 * {@code JdbiTokenStore.builder(Jdbi)} and {@code builder(DataSource)} take a Jdbi or a JDBC data
 * source, so Jdbi and {@code java.sql} are re-exported to users.
 *
 * <p>The schema scripts under {@code dev/tokenkeeper/adapter/store/jdbc/schema/} are read by
 * {@code JdbiSchema} from its own module, so their folders need not be opened.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // see below
module dev.tokenkeeper.adapter.store.jdbc {
    requires transitive dev.tokenkeeper.domain;
    requires transitive java.sql;
    // Jdbi has no module-info, but declares the stable Automatic-Module-Name org.jdbi.v3.core in its
    // manifest: the name its maintainers chose, not one derived from the file name.
    requires transitive org.jdbi.v3.core;

    exports dev.tokenkeeper.adapter.store.jdbc;
}
