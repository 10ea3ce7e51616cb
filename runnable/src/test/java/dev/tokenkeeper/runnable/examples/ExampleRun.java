package dev.tokenkeeper.runnable.examples;

import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one script of {@code examples/} as a user would: {@code sh run.sh} with a {@code tokenkeeper}
 * command on PATH (a two-line wrapper that starts the CLI in a JVM of its own, on this test's class
 * path) and only the environment the test gives it.
 */
final class ExampleRun {

    private static final long TIMEOUT_SECONDS = 240;

    record Result(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private ExampleRun() {}

    /** The repository's {@code examples/} directory (tests run in the module's directory). */
    static Path examples() {
        Path here = Path.of("").toAbsolutePath();
        Path dir = here.resolveSibling("examples");
        return Files.isDirectory(dir) ? dir : here.resolve("examples");
    }

    static Result run(String example, Path work, Map<String, String> env) {
        try {
            Path bin = Files.createDirectories(work.resolve("bin"));
            Path wrapper = bin.resolve("tokenkeeper");
            Files.writeString(wrapper, "#!/bin/sh\nexec '" + javaBinary() + "' -cp '" + classPath() + "' "
                    + TokenkeeperCli.class.getName() + " \"$@\"\n", StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
            Path script = examples().resolve(example).resolve("run.sh");
            ProcessBuilder pb = new ProcessBuilder(List.of("sh", script.toString())).directory(work.toFile());
            Map<String, String> e = pb.environment();
            e.keySet().removeIf(k -> k.startsWith("OAUTH_") || k.startsWith("TOKENKEEPER") || k.equals("JDBC_URL")
                    || k.equals("REDIS_URL") || k.equals("XDG_CONFIG_HOME"));
            e.put("PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
            e.put("WORK", work.toString());
            e.putAll(env);
            Path out = work.resolve("example.stdout");
            Path err = work.resolve("example.stderr");
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("example " + example + " did not end within " + TIMEOUT_SECONDS + " s");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }
}
