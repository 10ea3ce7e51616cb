package dev.tokenkeeper.runnable.localstore;

import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The {@code tokenkeeper} command in a JVM of its own, on this test's class path, with an
 * environment that holds only what the test gives it (plus PATH and HOME's absence of tokenkeeper
 * settings): what a user's shell does when it runs the command twice.
 */
final class CliProcess {

    private static final long TIMEOUT_SECONDS = 90;

    record Result(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private CliProcess() {}

    /** Starts the command; {@link #await} it. */
    static Process start(Path workDir, Map<String, String> env, String... args) {
        return start(workDir, env, List.of(), args);
    }

    /** Starts the command in a JVM with {@code jvmOptions}; {@link #await} it. */
    static Process start(Path workDir, Map<String, String> env, List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>(List.of(javaBinary()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classPath(), TokenkeeperCli.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
        Map<String, String> e = pb.environment();
        // no setting from the developer's shell may leak in: only the test's
        e.keySet().removeIf(k -> k.startsWith("OAUTH_") || k.startsWith("TOKENKEEPER") || k.equals("JDBC_URL")
                || k.equals("REDIS_URL") || k.equals("XDG_CONFIG_HOME"));
        e.putAll(env);
        try {
            Path out = Files.createTempFile(workDir, "stdout", ".txt");
            Path err = Files.createTempFile(workDir, "stderr", ".txt");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            OUTPUTS.put(p, new Path[] {out, err});
            return p;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private static final Map<Process, Path[]> OUTPUTS = new java.util.concurrent.ConcurrentHashMap<>();

    static Result await(Process p) {
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("the command did not end within " + TIMEOUT_SECONDS + "s");
            }
            Path[] files = OUTPUTS.remove(p);
            return new Result(p.exitValue(), Files.readString(files[0], StandardCharsets.UTF_8),
                    Files.readString(files[1], StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new AssertionError("interrupted", e);
        }
    }

    static Result run(Path workDir, Map<String, String> env, String... args) {
        return await(start(workDir, env, args));
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Surefire and Failsafe put the real test class path here even when they boot from a manifest-only jar. */
    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }
}
