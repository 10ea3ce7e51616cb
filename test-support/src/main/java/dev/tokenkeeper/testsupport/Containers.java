package dev.tokenkeeper.testsupport;

import java.net.URI;
import java.util.List;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;

/** Testcontainers, used only where a Docker engine answers; this class is never touched otherwise. */
final class Containers {

    private Containers() {}

    static URI redis(List<String> tried) {
        if (!dockerAvailable()) {
            tried.add("Testcontainers (no Docker engine)");
            return null;
        }
        @SuppressWarnings("resource") // lives as long as the test JVM; Ryuk removes it
        GenericContainer<?> redis = new GenericContainer<>("redis:7-alpine").withExposedPorts(6379);
        redis.start();
        return URI.create("redis://" + redis.getHost() + ":" + redis.getMappedPort(6379));
    }

    static RequiredServers.PostgresTarget postgres(List<String> tried) {
        if (!dockerAvailable()) {
            tried.add("Testcontainers (no Docker engine)");
            return null;
        }
        @SuppressWarnings("resource")
        GenericContainer<?> pg = new GenericContainer<>("postgres:16-alpine")
                .withEnv("POSTGRES_HOST_AUTH_METHOD", "trust")
                .withEnv("POSTGRES_DB", "test")
                .withExposedPorts(5432);
        pg.start();
        return new RequiredServers.PostgresTarget(
                "jdbc:postgresql://" + pg.getHost() + ":" + pg.getMappedPort(5432) + "/test", "postgres", "");
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }
}
