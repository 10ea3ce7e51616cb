package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.benchmarks.trivial.Trivial;
import dev.tokenkeeper.fakeidp.FakeIdp;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The command line as scripts use it: {@code tokenkeeper token} and {@code status} with a valid
 * cached token, through the launcher the build writes ({@code runnable/target/tokenkeeper}), each
 * run a new process, timed from start to exit; beside them, in the same run and interleaved, a JVM
 * that reads a file and prints it (the floor).
 */
final class CliProbe {

    /** Wall times of one command, in nanoseconds. */
    record Result(String launcher, int runs, Samples token, Samples status, Samples trivial, String error) {}

    private CliProbe() {}

    static Result run(Path launcher, int runs) {
        Samples token = new Samples();
        Samples status = new Samples();
        Samples trivial = new Samples();
        if (!Files.isRegularFile(launcher)) {
            return new Result(launcher.toString(), runs, token, status, trivial, "no launcher at " + launcher
                    + " (build it: ./mvnw -q -DskipTests -pl runnable -am package)");
        }
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofHours(1))) {
            Path work = Files.createTempDirectory("tokenkeeper-cli-bench");
            Path floor = copyTrivial(work.resolve("classes"));
            Path printed = Files.writeString(work.resolve("token.txt"), "a-token-sized-line-of-text");
            Map<String, String> env = Map.of("OAUTH_TOKEN_URL", idp.tokenUri().toString(), "OAUTH_CLIENT_ID", "bench-cli",
                    "OAUTH_CLIENT_SECRET", "bench-cli-secret", "TOKENKEEPER_HOME", work.resolve("home").toString(),
                    "XDG_CACHE_HOME", work.resolve("cache").toString(),
                    "JAVA_HOME", System.getProperty("java.home"));
            List<String> sh = List.of("sh", launcher.toString());
            // not timed: the first run fetches the token and records the class-data archive, the second uses both
            for (int i = 0; i < 2; i++) {
                time(append(sh, "token"), env);
            }
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> floorCommand = List.of(java, "-Xshare:auto", "-cp", floor.toString(), Trivial.class.getName(),
                    printed.toString());
            for (int i = 0; i < runs; i++) { // interleaved, so that a burst of load hits all three alike
                token.add(time(append(sh, "token"), env));
                status.add(time(append(sh, "status"), env));
                trivial.add(time(floorCommand, env));
            }
            if (idp.requestCount() != 1) {
                return new Result(launcher.toString(), runs, token, status, trivial,
                        "expected one token request in all, the IdP saw " + idp.requestCount());
            }
            return new Result(launcher.toString(), runs, token, status, trivial, null);
        } catch (IOException | RuntimeException e) {
            return new Result(launcher.toString(), runs, token, status, trivial, e.toString());
        }
    }

    private static List<String> append(List<String> base, String arg) {
        List<String> l = new ArrayList<>(base);
        l.add(arg);
        return l;
    }

    /** Runs {@code command} and returns its wall time; fails unless it exits 0. */
    private static long time(List<String> command, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().keySet().removeIf(k -> k.startsWith("OAUTH_") || k.startsWith("TOKENKEEPER"));
        pb.environment().putAll(env);
        long start = System.nanoTime();
        Process p = pb.start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command + " did not end within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        long nanos = System.nanoTime() - start;
        if (p.exitValue() != 0) {
            throw new IllegalStateException(command + " exited " + p.exitValue());
        }
        return nanos;
    }

    /** The floor program's class file, copied out of this jar into {@code dir}; returns the class path. */
    private static Path copyTrivial(Path dir) throws IOException {
        String resource = Trivial.class.getName().replace('.', '/') + ".class";
        Path target = dir.resolve(resource);
        Files.createDirectories(target.getParent());
        try (InputStream in = CliProbe.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("cannot find " + resource);
            }
            Files.copy(in, target);
        }
        return dir;
    }

    static String describe(Result r) {
        return String.format(java.util.Locale.ROOT, "token p50=%s status p50=%s trivial p50=%s%s",
                Samples.human(r.token().percentile(50)), Samples.human(r.status().percentile(50)),
                Samples.human(r.trivial().percentile(50)), r.error() == null ? "" : " error=" + r.error());
    }
}
