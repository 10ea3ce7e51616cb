package dev.tokenkeeper.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A PostgreSQL cluster of this test alone, which it may stop and start while others use the shared
 * server on 5432: created with Debian's {@code pg_createcluster} (trust authentication, loopback,
 * a free port), driven with {@code pg_ctlcluster}, dropped with {@code pg_dropcluster --stop} on
 * {@link #close()} (and by a shutdown hook if the test never gets there).
 *
 * <p>Needs root (the tools switch to the {@code postgres} user) and the Debian PostgreSQL packaging.
 * Where either is missing the test is skipped, or fails when servers are required
 * ({@link RequiredServers#required()}: CI runs as root on the same kind of machine).
 */
public final class PrivatePostgres implements AutoCloseable {

    private static final long TOOL_TIMEOUT_SECONDS = 60;

    private final String version;
    private final String name;
    private final int port;
    private final Thread dropOnExit;
    private boolean dropped;

    private PrivatePostgres(String version, String name, int port) {
        this.version = version;
        this.name = name;
        this.port = port;
        this.dropOnExit = new Thread(this::dropQuietly, "drop-" + name);
    }

    /** Creates and starts a private cluster, or skips (fails under CI) saying precisely why it cannot. */
    public static PrivatePostgres createAndStart() {
        List<String> why = new ArrayList<>();
        if (!"root".equals(System.getProperty("user.name"))) {
            why.add("not running as root (user " + System.getProperty("user.name") + "), and pg_createcluster needs root");
        }
        if (!Files.isExecutable(Path.of("/usr/bin/pg_createcluster")) || !Files.isExecutable(Path.of("/usr/bin/pg_ctlcluster"))) {
            why.add("no /usr/bin/pg_createcluster or /usr/bin/pg_ctlcluster (Debian postgresql-common)");
        }
        String version = newestVersion();
        if (version == null) {
            why.add("no PostgreSQL server under /usr/lib/postgresql/<version>/bin");
        }
        if (!why.isEmpty()) {
            unavailable(String.join("; ", why));
        }
        String name = "tkfleet" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        int port = RequiredServers.freePort();
        PrivatePostgres pg = new PrivatePostgres(version, name, port);
        Runtime.getRuntime().addShutdownHook(pg.dropOnExit);
        String created = pg.run("pg_createcluster", version, name, "-p", String.valueOf(port), "--", "--auth=trust");
        if (created != null) {
            pg.close();
            unavailable("pg_createcluster " + version + " " + name + " failed: " + created);
        }
        String started = pg.run("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start");
        if (started != null) {
            pg.close();
            unavailable("pg_ctlcluster start failed: " + started);
        }
        return pg;
    }

    /** The JDBC URL of the cluster's {@code postgres} database, with short connect and socket timeouts. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?connectTimeout=1&socketTimeout=3&loginTimeout=2";
    }

    public String user() {
        return "postgres";
    }

    public int port() {
        return port;
    }

    /** Stops the server ({@code -m fast}: active sessions are ended, as in an ordinary restart). */
    public void stop() {
        String failed = run("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "stop", "-m", "fast");
        if (failed != null) {
            throw new IllegalStateException("pg_ctlcluster stop failed: " + failed);
        }
    }

    /** Starts the server again on the same port; returns once it accepts connections. */
    public void start() {
        String failed = run("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start");
        if (failed != null) {
            throw new IllegalStateException("pg_ctlcluster start failed: " + failed);
        }
    }

    /** Whether the port accepts TCP connections. */
    public boolean listening() {
        return RequiredServers.portOpen("127.0.0.1", port);
    }

    @Override
    public synchronized void close() {
        dropQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(dropOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs or has run
        }
    }

    @Override
    public String toString() {
        return "PrivatePostgres[" + version + "/" + name + " on 127.0.0.1:" + port + "]";
    }

    private synchronized void dropQuietly() {
        if (!dropped) {
            dropped = true;
            run("pg_dropcluster", "--stop", version, name);
        }
    }

    /** Runs a tool, bounded; null when it exited 0, else what went wrong (exit code and output tail). */
    private String run(String... command) {
        Path log = null;
        try {
            // output goes to a file, not a pipe: a daemon the tool forks must not keep us reading
            log = Files.createTempFile("pg-tool-", ".log");
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            p.getOutputStream().close();
            if (!p.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return String.join(" ", command) + " timed out after " + TOOL_TIMEOUT_SECONDS + " s";
            }
            if (p.exitValue() == 0) {
                return null;
            }
            String text = Files.readString(log, StandardCharsets.UTF_8).strip();
            return "exit " + p.exitValue() + ": " + text.substring(Math.max(0, text.length() - 500));
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a temp file
                }
            }
        }
    }

    private static String newestVersion() {
        Path lib = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(lib)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(lib)) {
            return versions.filter(v -> Files.isExecutable(v.resolve("bin/postgres")))
                    .map(v -> v.getFileName().toString())
                    .filter(v -> v.matches("\\d+"))
                    .max(Comparator.comparingInt(Integer::parseInt))
                    .orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static void unavailable(String reason) {
        String message = "a private PostgreSQL cluster (to stop and start without disturbing the shared server) "
                + "cannot be created here: " + reason;
        if (RequiredServers.required()) {
            Assertions.fail(message + " [servers are required: CI=true or -Dtokenkeeper.require.servers=true]");
        }
        Assumptions.abort(message);
    }
}
