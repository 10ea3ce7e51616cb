package dev.tokenkeeper.runnable.sink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A main class (the {@code tokenkeeper} command, or a test's wrapper of it) in a JVM of its own, on
 * this test's class path, with only the test's settings in its environment; standard output and
 * error go to files in {@code dir} ({@link #stdout}, {@link #stderr}).
 */
public final class CliJvm {

    private CliJvm() {}

    /** Starts {@code mainClass} with {@code args}; output goes to {@code dir}/{@code name}.out and .err. */
    public static Process start(Path dir, String name, Map<String, String> env, String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath(), mainClass));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(stdout(dir, name).toFile())
                .redirectError(stderr(dir, name).toFile());
        Map<String, String> e = pb.environment();
        // no setting from the developer's shell may leak in: only the test's
        e.keySet().removeIf(k -> k.startsWith("OAUTH_") || k.startsWith("TOKENKEEPER") || k.equals("XDG_CONFIG_HOME"));
        e.putAll(env);
        try {
            return pb.start();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    public static Path stdout(Path dir, String name) {
        return dir.resolve(name + ".out");
    }

    public static Path stderr(Path dir, String name) {
        return dir.resolve(name + ".err");
    }

    /** The file's text, or "" while it does not exist. */
    public static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Surefire and Failsafe put the real test class path here even when they boot from a manifest-only jar. */
    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }
}
