/**
 * A {@link dev.tokenkeeper.domain.spi.TokenStore} in a relational database, through Jdbi:
 * {@link dev.tokenkeeper.adapter.store.jdbc.JdbiTokenStore} for the store,
 * {@link dev.tokenkeeper.adapter.store.jdbc.JdbiSchema} for its versioned tables,
 * {@link dev.tokenkeeper.adapter.store.jdbc.SqlDialect} for the databases it speaks (H2 and
 * PostgreSQL) and what another one needs. The caller supplies a {@code Jdbi} or a
 * {@code DataSource} (a connection pool) and keeps ownership of it. Package-private types are
 * implementation detail.
 */
package dev.tokenkeeper.adapter.store.jdbc;
