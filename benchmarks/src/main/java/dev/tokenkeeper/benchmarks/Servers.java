package dev.tokenkeeper.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * Finds Redis and PostgreSQL on loopback only. Starts nothing and never connects anywhere else:
 * {@code REDIS_URL} / {@code JDBC_URL} are honoured only when they name a loopback host.
 */
public final class Servers {

    private Servers() {}

    /** A PostgreSQL to use. */
    public record Postgres(String jdbcUrl, String user, String password) {}

    /** A Redis answering PING on loopback, or null with the reason in {@code why[0]}. */
    public static URI redis(String[] why) {
        String env = System.getenv("REDIS_URL");
        URI uri = env != null && !env.isBlank() ? URI.create(env) : URI.create("redis://127.0.0.1:6379");
        if (!loopback(uri.getHost())) {
            why[0] = "REDIS_URL names a non-loopback host; the benchmarks talk to loopback only";
            return null;
        }
        int port = uri.getPort() < 0 ? 6379 : uri.getPort();
        if (!redisAnswers(uri.getHost(), port)) {
            why[0] = "no Redis answered PING on " + uri.getHost() + ":" + port
                    + " (start one: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no)";
            return null;
        }
        return uri;
    }

    /** A PostgreSQL accepting a connection on loopback, or null with the reason in {@code why[0]}. */
    public static Postgres postgres(String[] why) {
        String env = System.getenv("JDBC_URL");
        Postgres pg = env != null && env.startsWith("jdbc:postgresql:")
                ? new Postgres(env, envOr("JDBC_USER", "postgres"), envOr("JDBC_PASSWORD", ""))
                : new Postgres("jdbc:postgresql://127.0.0.1:5432/test", "postgres", "");
        URI uri = URI.create(pg.jdbcUrl().substring("jdbc:".length()));
        if (!loopback(uri.getHost())) {
            why[0] = "JDBC_URL names a non-loopback host; the benchmarks talk to loopback only";
            return null;
        }
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl() + (pg.jdbcUrl().contains("?") ? "&" : "?")
                + "connectTimeout=2&socketTimeout=5", pg.user(), pg.password())) {
            c.isValid(2);
            return pg;
        } catch (SQLException e) {
            why[0] = "no PostgreSQL connection to " + pg.jdbcUrl() + " as " + pg.user() + " (" + e.getSQLState()
                    + "); start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start, or set JDBC_URL";
            return null;
        }
    }

    static boolean loopback(String host) {
        try {
            return host != null && InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    static boolean redisAnswers(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            s.setSoTimeout(500);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = in.readNBytes(5);
            return new String(buf, StandardCharsets.US_ASCII).equals("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    private static String envOr(String name, String fallback) {
        String v = System.getenv(name);
        return v == null ? fallback : v;
    }
}
