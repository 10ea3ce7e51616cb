package dev.tokenkeeper.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis master and a Redis Sentinel watching it, started from the local {@code redis-server}
 * binary ({@code redis-server sentinel.conf --sentinel}, what {@code redis-sentinel} is) on free
 * loopback ports. The processes are children of this JVM: {@link #close()} kills them, and a
 * shutdown hook does if a test forgets. Where there is no binary, the test is skipped, or fails
 * when servers are required ({@link RequiredServers#required()}).
 */
public final class LocalRedisSentinel implements AutoCloseable {

    /** The name the sentinel knows the master by. */
    public static final String MASTER = "tokenkeeper-master";

    private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final List<Process> processes;
    private final int masterPort;
    private final int sentinelPort;

    private LocalRedisSentinel(List<Process> processes, int masterPort, int sentinelPort) {
        this.processes = processes;
        this.masterPort = masterPort;
        this.sentinelPort = sentinelPort;
    }

    /** Starts a master and a sentinel, or skips (fails, when servers are required) the calling test. */
    public static LocalRedisSentinel start() {
        String server = null;
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/usr/local/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, "redis-server"))) {
                server = Path.of(dir, "redis-server").toString();
                break;
            }
        }
        if (server == null) {
            return RequiredServers.unavailable("Redis Sentinel", List.of("redis-server on the PATH (not found)"),
                    "install redis-server (its --sentinel mode is redis-sentinel)");
        }
        List<Process> processes = new ArrayList<>();
        int masterPort = RequiredServers.freePort();
        int sentinelPort = RequiredServers.freePort();
        LocalRedisSentinel local = new LocalRedisSentinel(processes, masterPort, sentinelPort);
        Runtime.getRuntime().addShutdownHook(new Thread(local::close));
        try {
            Path dir = Files.createTempDirectory("tokenkeeper-sentinel");
            processes.add(new ProcessBuilder(server, "--bind", "127.0.0.1", "--port", String.valueOf(masterPort),
                            "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("master.log").toFile()).start());
            Path conf = dir.resolve("sentinel.conf"); // the sentinel rewrites its file: it must be its own
            Files.writeString(conf, String.join("\n",
                    "bind 127.0.0.1",
                    "port " + sentinelPort,
                    "dir " + dir,
                    "sentinel monitor " + MASTER + " 127.0.0.1 " + masterPort + " 1",
                    "sentinel down-after-milliseconds " + MASTER + " 5000", ""), StandardCharsets.UTF_8);
            processes.add(new ProcessBuilder(server, conf.toString(), "--sentinel")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("sentinel.log").toFile()).start());
            long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
            // a real-time wait: two child processes start; Await's clock is not theirs
            while (!(RequiredServers.redisAnswers("127.0.0.1", masterPort)
                    && RequiredServers.redisAnswers("127.0.0.1", sentinelPort))) {
                if (System.nanoTime() > deadline || processes.stream().anyMatch(p -> !p.isAlive())) {
                    local.close();
                    return RequiredServers.unavailable("Redis Sentinel", List.of("redis-server --sentinel (did not start; "
                            + "see " + dir + ")"), "check that redis-server supports --sentinel");
                }
                Thread.sleep(50);
            }
            return local;
        } catch (IOException e) {
            local.close();
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            local.close();
            throw new IllegalStateException(e);
        }
    }

    /** The store URL a configuration names: {@code redis-sentinel://127.0.0.1:PORT/tokenkeeper-master}. */
    public URI storeUrl() {
        return URI.create("redis-sentinel://127.0.0.1:" + sentinelPort + "/" + MASTER);
    }

    /** The master's port, to look at what was written directly. */
    public int masterPort() {
        return masterPort;
    }

    /** The sentinel's port. */
    public int sentinelPort() {
        return sentinelPort;
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroyForcibly();
        }
    }
}
