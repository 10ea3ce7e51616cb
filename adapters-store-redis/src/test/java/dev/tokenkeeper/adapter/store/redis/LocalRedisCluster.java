package dev.tokenkeeper.adapter.store.redis;

import dev.tokenkeeper.testsupport.RequiredServers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * A Redis Cluster of three masters and no replicas, started from the local {@code redis-server}
 * binary on free loopback ports (client and cluster-bus ports chosen apart, as Redis 7's
 * {@code --cluster-port} allows) and joined with {@code redis-cli --cluster create}. The processes
 * are children of this JVM: {@link #close()} kills them, and a shutdown hook does if a test forgets.
 *
 * <p>Where there is no binary, the test is skipped, or fails when servers are required
 * ({@link RequiredServers#required()}), like every other server a test needs.
 */
final class LocalRedisCluster implements AutoCloseable {

    private static final int MASTERS = 3;
    private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final Path dir;
    private final List<Process> processes;
    private final Set<HostAndPort> nodes;

    private LocalRedisCluster(Path dir, List<Process> processes, Set<HostAndPort> nodes) {
        this.dir = dir;
        this.processes = processes;
        this.nodes = nodes;
    }

    /** Starts a cluster, or skips (fails, when servers are required) the calling test. */
    static LocalRedisCluster start() {
        String server = binary("redis-server");
        String cli = binary("redis-cli");
        if (server == null || cli == null) {
            return unavailable("redis-server and redis-cli are not both on the PATH");
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("tokenkeeper-redis-cluster");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Process> processes = new ArrayList<>();
        Set<HostAndPort> nodes = new LinkedHashSet<>();
        LocalRedisCluster cluster = new LocalRedisCluster(dir, processes, nodes);
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::kill));
        try {
            long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
            for (int i = 0; i < MASTERS; i++) {
                int port = RequiredServers.freePort();
                int busPort = RequiredServers.freePort();
                Path nodeDir = Files.createDirectories(dir.resolve(String.valueOf(port)));
                processes.add(new ProcessBuilder(server, "--bind", "127.0.0.1", "--port", String.valueOf(port),
                                "--cluster-enabled", "yes", "--cluster-port", String.valueOf(busPort),
                                "--cluster-config-file", nodeDir.resolve("nodes.conf").toString(),
                                "--dir", nodeDir.toString(), "--save", "", "--appendonly", "no",
                                "--daemonize", "no", "--loglevel", "warning")
                        .redirectErrorStream(true)
                        .redirectOutput(nodeDir.resolve("redis.log").toFile())
                        .start());
                nodes.add(new HostAndPort("127.0.0.1", port));
            }
            for (HostAndPort node : nodes) {
                while (!RequiredServers.redisAnswers(node.getHost(), node.getPort())) {
                    checkAlive(cluster, deadline, "node " + node + " did not answer PING");
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
            }
            List<String> create = new ArrayList<>(List.of(cli, "--cluster", "create"));
            nodes.forEach(n -> create.add(n.getHost() + ":" + n.getPort()));
            create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            Path createLog = dir.resolve("create.log");
            Process creator = new ProcessBuilder(create).redirectErrorStream(true)
                    .redirectOutput(createLog.toFile()).start();
            if (!creator.waitFor(30, TimeUnit.SECONDS) || creator.exitValue() != 0) {
                creator.destroyForcibly();
                throw new IllegalStateException("redis-cli --cluster create failed: "
                        + Files.readString(createLog, StandardCharsets.UTF_8));
            }
            for (HostAndPort node : nodes) {
                while (!clusterOk(node)) {
                    checkAlive(cluster, deadline, "node " + node + " did not reach cluster_state:ok");
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                }
            }
            return cluster;
        } catch (IOException e) {
            cluster.close();
            return unavailable("the cluster did not start: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cluster.close();
            throw new IllegalStateException("interrupted while starting a Redis Cluster", e);
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** The masters' client addresses. */
    Set<HostAndPort> nodes() {
        return Set.copyOf(nodes);
    }

    /** A plain connection to one node, bypassing cluster routing (for counting keys per node). */
    static Jedis direct(HostAndPort node) {
        return new Jedis(node.getHost(), node.getPort(), (int) TestClients.TIMEOUT.toMillis());
    }

    @Override
    public void close() {
        kill();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory left behind is harmless
        }
    }

    private synchronized void kill() {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (Process p : processes) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static boolean clusterOk(HostAndPort node) {
        try (Jedis j = direct(node)) {
            return j.clusterInfo().contains("cluster_state:ok");
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void checkAlive(LocalRedisCluster cluster, long deadline, String what) {
        for (Process p : cluster.processes) {
            if (!p.isAlive()) {
                throw new IllegalStateException("a cluster node exited; see logs under " + cluster.dir);
            }
        }
        if (System.nanoTime() - deadline > 0) {
            throw new IllegalStateException(what + " within 30 s; see logs under " + cluster.dir);
        }
    }

    private static String binary(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/usr/local/bin").split(":")) {
            Path candidate = Path.of(d, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    private static <T> T unavailable(String why) {
        String message = "a local Redis Cluster is required by this test: " + why;
        if (RequiredServers.required()) {
            return Assertions.fail(message + " [servers are required: CI=true or -Dtokenkeeper.require.servers=true]");
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }
}
