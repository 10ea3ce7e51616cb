package dev.tokenkeeper.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the real servers integration tests need, in this order: an environment variable
 * ({@code REDIS_URL}, {@code JDBC_URL}), the usual port on loopback, a Testcontainers container where
 * a Docker engine answers, and (Redis only) a {@code redis-server} binary started on a free port.
 *
 * <p>When none is found the test is <em>aborted</em> (skipped) on a developer machine, but
 * <em>fails</em> when servers are required: {@code CI=true} in the environment or
 * {@code -Dtokenkeeper.require.servers=true}. So CI cannot go green by skipping.
 */
public final class RequiredServers {

    private static final int CONNECT_TIMEOUT_MILLIS = 500;
    private static URI redis;
    private static PostgresTarget postgres;

    private RequiredServers() {}

    /** Whether a missing server fails the test rather than skipping it. */
    public static boolean required() {
        return Boolean.getBoolean("tokenkeeper.require.servers") || "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /** A reachable Redis, as {@code redis://host:port}. */
    public static synchronized URI redis() {
        if (redis != null) {
            return redis;
        }
        List<String> tried = new ArrayList<>();
        String env = System.getenv("REDIS_URL");
        if (env != null && !env.isBlank()) {
            URI uri = URI.create(env);
            if (redisAnswers(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort())) {
                return redis = uri;
            }
            tried.add("REDIS_URL=" + env + " (no PONG)");
        }
        if (redisAnswers("127.0.0.1", 6379)) {
            return redis = URI.create("redis://127.0.0.1:6379");
        }
        tried.add("127.0.0.1:6379 (no PONG)");
        URI started = LocalRedis.start(tried);
        if (started != null) {
            return redis = started;
        }
        URI container = Containers.redis(tried);
        if (container != null) {
            return redis = container;
        }
        return unavailable("Redis", tried, "start one with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 "
                + "--save \"\" --appendonly no, or set REDIS_URL");
    }

    /** A reachable PostgreSQL. */
    public static synchronized PostgresTarget postgres() {
        if (postgres != null) {
            return postgres;
        }
        List<String> tried = new ArrayList<>();
        String env = System.getenv("JDBC_URL");
        if (env != null && env.startsWith("jdbc:postgresql:")) {
            PostgresTarget t = new PostgresTarget(env, envOr("JDBC_USER", "postgres"), envOr("JDBC_PASSWORD", ""));
            if (t.reachable()) {
                return postgres = t;
            }
            tried.add("JDBC_URL=" + env + " (no connection)");
        }
        if (portOpen("127.0.0.1", 5432)) {
            return postgres = new PostgresTarget("jdbc:postgresql://127.0.0.1:5432/test", "postgres", "");
        }
        tried.add("127.0.0.1:5432 (closed)");
        PostgresTarget container = Containers.postgres(tried);
        if (container != null) {
            return postgres = container;
        }
        return unavailable("PostgreSQL", tried, "start it with: pg_ctlcluster --skip-systemctl-redirect "
                + "$(ls /etc/postgresql) main start, or set JDBC_URL (and JDBC_USER, JDBC_PASSWORD)");
    }

    /**
     * A reachable MariaDB (or MySQL): {@code MARIADB_URL} (and {@code MARIADB_USER},
     * {@code MARIADB_PASSWORD}), else loopback 3306 as root without a password, database test.
     */
    public static synchronized PostgresTarget mariadb() {
        List<String> tried = new ArrayList<>();
        String env = System.getenv("MARIADB_URL");
        if (env != null) {
            PostgresTarget t = new PostgresTarget(env, envOr("MARIADB_USER", "root"), envOr("MARIADB_PASSWORD", ""));
            if (t.reachable()) {
                return t;
            }
            tried.add("MARIADB_URL=" + env + " (no connection)");
        }
        if (portOpen("127.0.0.1", 3306)) {
            return new PostgresTarget("jdbc:mariadb://127.0.0.1:3306/test", "root", "");
        }
        tried.add("127.0.0.1:3306 (closed)");
        return unavailable("MariaDB", tried, "start it with: service mariadb start (root, empty password, database "
                + "test), or set MARIADB_URL (and MARIADB_USER, MARIADB_PASSWORD)");
    }

    /** Whether a TCP connection to {@code host:port} opens within half a second. */
    public static boolean portOpen(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether a Redis at {@code host:port} answers PING with PONG. */
    public static boolean redisAnswers(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
            s.setSoTimeout(CONNECT_TIMEOUT_MILLIS);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] buf = new byte[7];
            InputStream in = s.getInputStream();
            int n = in.readNBytes(buf, 0, 7);
            return new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
    }

    /** A free TCP port on loopback (free when asked; bind it soon). */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port on loopback", e);
        }
    }

    static <T> T unavailable(String what, List<String> tried, String fix) {
        String message = what + " is required by this test but none was found (tried: " + String.join("; ", tried)
                + "). " + fix;
        if (required()) {
            return Assertions.fail(message + " [servers are required: CI=true or -Dtokenkeeper.require.servers=true]");
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }

    private static String envOr(String name, String fallback) {
        String v = System.getenv(name);
        return v == null ? fallback : v;
    }

    /**
     * A PostgreSQL to connect to.
     *
     * @param jdbcUrl the JDBC URL
     * @param user the user
     * @param password the password (empty with trust auth)
     */
    public record PostgresTarget(String jdbcUrl, String user, String password) {
        boolean reachable() {
            URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
            return portOpen(uri.getHost(), uri.getPort() >= 0 ? uri.getPort() : jdbcUrl.startsWith("jdbc:mariadb:") ? 3306 : 5432);
        }

        @Override
        public String toString() {
            return "PostgresTarget[" + jdbcUrl + ", user=" + user + "]";
        }
    }

    /** A {@code redis-server} child process of this JVM, stopped when the JVM exits. */
    public static final class LocalRedis implements AutoCloseable {
        private final Process process;
        private final int port;

        private LocalRedis(Process process, int port) {
            this.process = process;
            this.port = port;
        }

        /**
         * Starts a private {@code redis-server} on a free loopback port, or returns null if there is
         * no binary. Tests that kill and restart Redis use their own instance rather than the shared one.
         */
        public static LocalRedis startPrivate() {
            return startPrivate(freePort());
        }

        /** Starts a private {@code redis-server} on {@code port}, or returns null if there is no binary. */
        public static LocalRedis startPrivate(int port) {
            String binary = findBinary();
            if (binary == null) {
                return null;
            }
            try {
                Process p = new ProcessBuilder(binary, "--bind", "127.0.0.1", "--port", String.valueOf(port), "--save", "",
                                "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                LocalRedis local = new LocalRedis(p, port);
                Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (System.nanoTime() < deadline) {
                    if (redisAnswers("127.0.0.1", port)) {
                        return local;
                    }
                    if (!p.isAlive()) {
                        return null;
                    }
                    Thread.onSpinWait();
                }
                p.destroyForcibly();
                return null;
            } catch (IOException e) {
                return null;
            }
        }

        static URI start(List<String> tried) {
            LocalRedis local = startPrivate();
            if (local == null) {
                tried.add("redis-server binary (not found or did not start)");
                return null;
            }
            return local.uri();
        }

        private static String findBinary() {
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/usr/local/bin").split(":")) {
                Path candidate = Path.of(dir, "redis-server");
                if (Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
            return null;
        }

        /** The port. */
        public int port() {
            return port;
        }

        /** {@code redis://127.0.0.1:port}. */
        public URI uri() {
            return URI.create("redis://127.0.0.1:" + port);
        }

        /** Whether the process still runs. */
        public boolean isAlive() {
            return process.isAlive();
        }

        /** Kills the server at once (SIGKILL), as a crash would. */
        public void kill() {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            kill();
        }
    }
}
