package dev.tokenkeeper.bootstrap.fleet;

import dev.tokenkeeper.testsupport.PrivatePostgres;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.adapter.store.jdbc.JdbiTokenStore;
import dev.tokenkeeper.adapter.store.jdbc.SchemaAction;
import dev.tokenkeeper.bootstrap.fleet.SecretScan.RawEntry;
import dev.tokenkeeper.domain.spi.TokenStore;
import dev.tokenkeeper.testsupport.RequiredServers;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The fleet on PostgreSQL. Steady runs and raw dumps use the shared server
 * ({@link RequiredServers#postgres()}) with tables of their own (a random table prefix, dropped
 * afterwards); the restart test stops and starts a private cluster ({@link PrivatePostgres}), never
 * the shared server. Each instance has its own Hikari pool whose checkout, validation, connect and
 * socket timeouts are short, so that store calls fail fast while the server is down.
 */
class PostgresFleetIT extends AbstractFleetIT {

    @Override
    protected String storeName() {
        return "postgresql";
    }

    @Override
    protected StoreFixture sharedStore() {
        RequiredServers.PostgresTarget target = RequiredServers.postgres();
        return new PostgresFixture(withTimeouts(target.jdbcUrl()), target.user(), target.password(), null);
    }

    @Override
    protected StoreFixture.Restartable restartableStore() {
        PrivatePostgres pg = PrivatePostgres.createAndStart();
        return new PostgresFixture(pg.jdbcUrl(), pg.user(), "", pg);
    }

    private static String withTimeouts(String jdbcUrl) {
        return jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "connectTimeout=1&socketTimeout=3&loginTimeout=2";
    }

    /** Tables with a random prefix; closing drops them (and the private cluster, if any). */
    static final class PostgresFixture implements StoreFixture.Restartable {
        final String jdbcUrl;
        final String user;
        final String password;
        final PrivatePostgres pg;
        final String prefix = "tkfleet_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()) + "_";
        final List<HikariDataSource> pools = new ArrayList<>();

        PostgresFixture(String jdbcUrl, String user, String password, PrivatePostgres pg) {
            this.jdbcUrl = jdbcUrl;
            this.user = user;
            this.password = password;
            this.pg = pg;
        }

        @Override
        public synchronized TokenStore newStore(int instance) {
            HikariConfig c = new HikariConfig();
            c.setPoolName("fleet-" + instance);
            c.setJdbcUrl(jdbcUrl);
            c.setUsername(user);
            c.setPassword(password);
            // a fixed pool: connections are ready, so a checkout while the server is up never waits for a new one
            c.setMaximumPoolSize(2);
            c.setMinimumIdle(2);
            c.setConnectionTimeout(500); // a checkout fails after this while the server is down
            c.setValidationTimeout(250);
            c.setInitializationFailTimeout(5000);
            HikariDataSource ds = new HikariDataSource(c);
            pools.add(ds);
            return JdbiTokenStore.builder(ds)
                    .tablePrefix(prefix)
                    .schemaAction(SchemaAction.APPLY) // instances are built one after another; APPLY is idempotent
                    .queryTimeout(Duration.ofSeconds(2))
                    .clock(InstantSource.system())
                    .build();
        }

        /** {@code SELECT *} from each of the store's tables, every column of every row. */
        @Override
        public List<RawEntry> rawDump() {
            List<RawEntry> dump = new ArrayList<>();
            try (Connection conn = connect(); Statement st = conn.createStatement()) {
                for (String table : List.of(prefix + "tokens", prefix + "leases", prefix + "schema_version")) {
                    try (ResultSet rs = st.executeQuery("SELECT * FROM " + table)) {
                        ResultSetMetaData md = rs.getMetaData();
                        int row = 0;
                        while (rs.next()) {
                            row++;
                            for (int col = 1; col <= md.getColumnCount(); col++) {
                                String name = table + " row " + row + " " + md.getColumnName(col);
                                byte[] value;
                                int type = md.getColumnType(col);
                                if (type == Types.BINARY || type == Types.VARBINARY || type == Types.LONGVARBINARY) {
                                    value = rs.getBytes(col);
                                } else {
                                    String s = rs.getString(col);
                                    value = s == null ? null : s.getBytes(StandardCharsets.UTF_8);
                                }
                                dump.add(new RawEntry(name, value == null ? new byte[0] : value));
                            }
                        }
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException("raw dump failed: " + e.getMessage(), e);
            }
            return dump;
        }

        @Override
        public boolean isTokenEntry(RawEntry entry) {
            return entry.name().startsWith(prefix + "tokens ") && entry.name().endsWith(" sealed") && entry.value().length > 0;
        }

        @Override
        public void stopServer() {
            requirePrivate().stop();
        }

        @Override
        public void startServer() {
            requirePrivate().start();
        }

        private PrivatePostgres requirePrivate() {
            if (pg == null) {
                throw new IllegalStateException("the shared PostgreSQL is never stopped");
            }
            return pg;
        }

        @Override
        public synchronized void close() {
            pools.forEach(HikariDataSource::close);
            try {
                if (pg == null) {
                    try (Connection conn = connect(); Statement st = conn.createStatement()) {
                        for (String table : List.of(prefix + "tokens", prefix + "leases", prefix + "schema_version")) {
                            st.execute("DROP TABLE IF EXISTS " + table);
                        }
                    } catch (SQLException e) {
                        // best effort: the tables carry a random prefix
                    }
                }
            } finally {
                if (pg != null) {
                    pg.close();
                }
            }
        }

        private Connection connect() throws SQLException {
            Properties p = new Properties();
            p.setProperty("user", user);
            p.setProperty("password", password);
            return DriverManager.getConnection(jdbcUrl, p);
        }
    }
}
