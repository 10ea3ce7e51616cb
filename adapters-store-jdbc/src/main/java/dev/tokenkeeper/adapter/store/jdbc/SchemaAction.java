package dev.tokenkeeper.adapter.store.jdbc;

/**
 * What {@link JdbiTokenStore.Builder#build()} does about the database schema before it hands out
 * the store.
 */
public enum SchemaAction {

    /** Nothing: the tables are managed elsewhere (for example, the scripts run by Flyway). */
    NONE,

    /**
     * {@link JdbiSchema#validate()}: refuse to start unless the tables exist at the version this
     * library knows. The default, because a library should not run DDL unless told to.
     */
    VALIDATE,

    /** {@link JdbiSchema#apply()}: create or upgrade the tables, then use them. */
    APPLY
}
