package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.benchmarks.Contenders.Env;
import dev.tokenkeeper.benchmarks.Contenders.Library;
import dev.tokenkeeper.benchmarks.Simulation.Result;
import dev.tokenkeeper.benchmarks.Simulation.Scenario;
import dev.tokenkeeper.fakeidp.FakeIdp;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark with fixed parameters and writes {@code docs/BENCHMARKS.md}.
 *
 * <pre>
 * java -jar benchmarks/target/tokenkeeper-benchmarks.jar [--smoke] [--out docs/BENCHMARKS.md]
 *      [--only hot,stampede,outage,scale,stores,cli,memory,sidecar,proxy,costs] [--command "how it was started"]
 * </pre>
 *
 * Every run is bounded: JMH by its iteration counts, the simulations by their deadlines.
 */
public final class BenchmarkSuite {

    /** How one group of JMH benchmarks runs: forks, and warm-up and measurement iterations of one length. */
    record JmhRuns(int forks, int warmups, int iterations, Duration iterationTime) {

        ChainedOptionsBuilder applyTo(ChainedOptionsBuilder o) {
            return o.forks(forks)
                    .warmupIterations(warmups)
                    .warmupTime(TimeValue.milliseconds(iterationTime.toMillis()))
                    .measurementIterations(iterations)
                    .measurementTime(TimeValue.milliseconds(iterationTime.toMillis()));
        }

        String describe() {
            return forks + " fork" + (forks == 1 ? "" : "s") + ", " + warmups + " × " + iterationTime.toMillis()
                    + " ms warm-up and " + iterations + " × " + iterationTime.toMillis() + " ms measurement iterations";
        }
    }

    /**
     * The fixed parameters of one mode. {@code jmh*} shape the hot-path rows the bars judge (the floor,
     * keyed and bound tokenkeeper); {@code peerRuns} the other contenders of the same tables, which are
     * compared, not judged; {@code costRuns} the per-request costs (microseconds, compared among themselves).
     */
    record Plan(String name, int jmhForks, int jmhWarmups, int jmhIterations, Duration jmhIterationTime, JmhRuns peerRuns,
            JmhRuns costRuns, int[] jmhThreads,
            Scenario stampede, Scenario outage, int[] scaleInstances, int scaleThreads, int storeOps, int pathKeys, int missKeys,
            int cliRuns, int memoryMaximumKeys, int memoryTouched, int memoryFewKeys, Duration memoryIdle,
            int sidecarConnections, Duration sidecarWarmup, Duration sidecarRound, int sidecarRounds, int jmhForksMoreThreads) {}

    static Plan full() {
        Duration l = Duration.ofSeconds(5);
        Duration latency = Duration.ofMillis(50);
        Duration pace = Duration.ofMillis(1);
        // the judged hot-path rows get the forks: their error is mostly between forks (each JIT's own code
        // layout), more so with one thread (run of 00:53Z with 5 forks each: 3.2-6.4 % at 1 thread, 2.8-4.3 % at 2)
        return new Plan("full", 4, 2, 6, Duration.ofSeconds(1),
                new JmhRuns(1, 1, 3, Duration.ofSeconds(1)), new JmhRuns(1, 2, 3, Duration.ofMillis(500)), new int[] {1, 2},
                new Scenario(4, 4, l, 3, latency, pace, 0, 0),
                new Scenario(4, 4, l, 3, latency, pace, 1.2, 0.4),
                new int[] {1, 4, 16}, 2, 1000, 300, 40,
                15, 100_000, 1_000_000, 1_000, Duration.ofSeconds(6),
                64, Duration.ofSeconds(3), Duration.ofSeconds(3), 3, 3);
    }

    static Plan smoke() {
        Duration l = Duration.ofSeconds(2);
        Duration latency = Duration.ofMillis(50);
        Duration pace = Duration.ofMillis(1);
        return new Plan("smoke", 1, 1, 3, Duration.ofSeconds(1),
                new JmhRuns(1, 1, 2, Duration.ofMillis(500)), new JmhRuns(1, 1, 2, Duration.ofMillis(500)), new int[] {1, 2},
                new Scenario(2, 2, l, 2, latency, pace, 0, 0),
                new Scenario(2, 2, l, 2, latency, pace, 1.2, 0.4),
                new int[] {1, 4, 16}, 1, 200, 100, 10,
                3, 10_000, 100_000, 1_000, Duration.ofSeconds(2),
                64, Duration.ofSeconds(1), Duration.ofSeconds(1), 1, 1);
    }

    private final Plan plan;
    private final Set<String> only;
    private final String command;
    private final String revision;
    private final PrintStream log = System.out;
    private final Map<String, String> notes = new LinkedHashMap<>();

    BenchmarkSuite(Plan plan, Set<String> only, String command, String revision) {
        this.revision = revision;
        this.plan = plan;
        this.only = only;
        this.command = command;
    }

    /**
     * The section that benchmarks/compare-hot-path.sh writes into the report (before vs after, from its
     * own run), carried over unchanged when this run rewrites the file; empty if there is none.
     */
    static String keptComparison(Path out) throws IOException {
        if (!Files.exists(out)) {
            return "";
        }
        String old = Files.readString(out, StandardCharsets.UTF_8);
        int begin = old.indexOf("<!-- hot-path-comparison:begin");
        String endMarker = "<!-- hot-path-comparison:end -->";
        int end = begin < 0 ? -1 : old.indexOf(endMarker, begin);
        return end < 0 ? "" : "\n" + old.substring(begin, end + endMarker.length()) + "\n";
    }

    public static void main(String[] args) throws Exception {
        Plan plan = full();
        Path out = Path.of("docs/BENCHMARKS.md");
        Set<String> only = new LinkedHashSet<>(List.of("hot", "stampede", "outage", "scale", "stores", "cli", "memory", "sidecar",
                "proxy", "costs"));
        String command = "java -jar benchmarks/target/tokenkeeper-benchmarks.jar";
        String revision = "unknown";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke" -> plan = smoke();
                case "--out" -> out = Path.of(args[++i]);
                case "--only" -> only = new LinkedHashSet<>(List.of(args[++i].split(",")));
                case "--command" -> command = args[++i];
                case "--revision" -> revision = args[++i];
                default -> {
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        String report = new BenchmarkSuite(plan, only, command, revision).runAll();
        Files.createDirectories(out.toAbsolutePath().getParent());
        report += keptComparison(out);
        Files.writeString(out, report, StandardCharsets.UTF_8);
        System.out.println("wrote " + out);
        System.exit(0); // library threads (Vert.x, pools) must not keep the JVM alive
    }

    // ------------------------------------------------------------------------------------------

    String runAll() throws Exception {
        Instant started = Instant.now();
        String loadBefore = loadAverage();
        String[] why = new String[1];
        URI redis = Servers.redis(why);
        if (redis == null) {
            notes.put("Redis", why[0]);
        }
        Servers.Postgres pg = Servers.postgres(why);
        if (pg == null) {
            notes.put("PostgreSQL", why[0]);
        }
        String sealing = SealingKeys.generateSpec("k1");
        String tag = Long.toString(System.currentTimeMillis(), 36);

        Map<Integer, Map<String, Jmh>> hot = new LinkedHashMap<>();
        if (only.contains("hot")) {
            for (int t : plan.jmhThreads()) {
                hot.put(t, runJmh(t, redis));
            }
        }
        List<Result> stampede = new ArrayList<>();
        List<Result> outage = new ArrayList<>();
        List<Result> scale = new ArrayList<>();
        Samples miss = null;
        List<Probes.StoreLatency> stores = new ArrayList<>();
        List<Probes.StorePath> paths = new ArrayList<>();
        try (FakeIdp idp = FakeIdp.start().issueTokens(plan.stampede().lifetime()).latency(plan.stampede().latency())) {
            if (only.contains("stampede") || only.contains("outage") || only.contains("scale")) {
                // JVM warm-up, not measured: class loading, JIT, Vert.x/Netty/JDBC start-up; every measured
                // row still starts on cold token caches
                Scenario s = plan.stampede();
                Scenario warm = new Scenario(2, 2, Duration.ofSeconds(1), 2, s.latency(), s.pace(), 0, 0);
                for (Library lib : Library.values()) {
                    log.println("(warm-up, not measured)");
                    simulate(lib, warm, idp, redis, pg, sealing, tag + "w");
                }
            }
            if (only.contains("stampede")) {
                for (Library lib : Library.values()) {
                    stampede.add(simulate(lib, plan.stampede(), idp, redis, pg, sealing, tag + "s"));
                }
            }
            if (only.contains("outage")) {
                for (Library lib : Library.values()) {
                    outage.add(simulate(lib, plan.outage(), idp, redis, pg, sealing, tag + "o"));
                }
            }
            if (only.contains("scale") && redis != null) {
                for (int n : plan.scaleInstances()) {
                    Scenario s = plan.stampede();
                    Scenario sc = new Scenario(n, plan.scaleThreads(), s.lifetime(), s.lifetimes(), s.latency(), s.pace(), 0, 0);
                    scale.add(simulate(Library.TK_REDIS, sc, idp, redis, pg, sealing, tag + "n" + n));
                }
            }
        }
        // the probes use one-hour tokens: the store path must not see tokens expire while the writer fills the store
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofHours(1)).latency(plan.stampede().latency())) {
            if (only.contains("stores")) {
                Env env = new Env(idp.tokenUri(), Duration.ofHours(1), redis, pg, sealing, tag + "p");
                log.println("== miss path");
                miss = Probes.missPath(idp, env, plan.stampede().latency(), plan.missKeys());
                log.println("== store latency");
                stores.add(Probes.storeLatency("memory (MemoryTokenStore)", Probes.memory(), plan.storeOps(), tag));
                stores.add(Probes.storeLatency("H2 in-memory, embedded (JdbiTokenStore)", Probes.h2(tag), plan.storeOps(), tag));
                if (pg != null) {
                    stores.add(Probes.storeLatency("PostgreSQL on loopback (JdbiTokenStore)", Probes.postgres(env), plan.storeOps(), tag));
                }
                if (redis != null) {
                    stores.add(Probes.storeLatency("Redis on loopback (RedisTokenStore)", Probes.redis(env), plan.storeOps(), tag));
                }
                log.println("== store path");
                if (redis != null) {
                    paths.add(Probes.storePath("Redis", Probes.redis(env), idp, env, plan.pathKeys()));
                }
                if (pg != null) {
                    paths.add(Probes.storePath("PostgreSQL", Probes.postgres(env), idp, env, plan.pathKeys()));
                }
                paths.add(Probes.storePath("H2 in-memory", Probes.h2(tag + "x"), idp, env, plan.pathKeys()));
            }
        }
        CliProbe.Result cli = null;
        if (only.contains("cli")) {
            log.println("== command line");
            cli = CliProbe.run(Path.of("runnable/target/tokenkeeper"), plan.cliRuns());
            log.println("   " + CliProbe.describe(cli));
        }
        MemoryProbe.Result memory = null;
        if (only.contains("memory")) {
            log.println("== many keys");
            memory = MemoryProbe.run(plan.memoryMaximumKeys(), plan.memoryTouched(), plan.memoryFewKeys(), plan.memoryIdle());
            log.printf("   flatness=%.2f bytes/key=%.0f sweep few=%.2f ms/s many=%.2f ms/s%n", memory.flatness(),
                    memory.bytesPerResidentKey(), memory.sweepCpuMsPerSecondFew(), memory.sweepCpuMsPerSecondMany());
        }
        SidecarLoad.Result sidecar = null;
        if (only.contains("sidecar")) {
            log.println("== sidecar");
            sidecar = SidecarLoad.run(plan.sidecarConnections(), plan.sidecarWarmup(), plan.sidecarRound(), plan.sidecarRounds());
            log.println(sidecar.error() != null ? "   error=" + sidecar.error()
                    : fmt("   token rps=%.0f p99=%s floor rps=%.0f p99=%s", sidecar.token().rps(),
                            Samples.human(sidecar.token().latency().percentile(99)), sidecar.floor().rps(),
                            Samples.human(sidecar.floor().latency().percentile(99))));
        }
        ProxyLatency.Result proxy = null;
        if (only.contains("proxy")) {
            log.println("== injecting proxy");
            proxy = ProxyLatency.run(plan.name().equals("smoke"));
            log.println(proxy.error() != null ? "   error=" + proxy.error()
                    : fmt("   direct p50=%s proxied p50=%s ratio=%.2f", Samples.human(proxy.direct().latency().percentile(50)),
                            Samples.human(proxy.proxied().latency().percentile(50)), proxy.p50Ratio()));
        }
        Map<String, Jmh> costs = new LinkedHashMap<>();
        if (only.contains("costs")) {
            log.println("== per-request costs (JMH)");
            costs = runCosts();
        }
        String loadAfter = loadAverage();
        return new Report(plan, command + "` (revision " + revision + ")", started, loadBefore, loadAfter, versions(), notes, hot, stampede, outage, scale, miss,
                stores, paths).extras(cli, memory, sidecar, Duration.between(started, Instant.now())).costs(costs).proxy(proxy).render();
    }

    private Result simulate(Library lib, Scenario sc, FakeIdp idp, URI redis, Servers.Postgres pg, String sealing, String tag) {
        if (lib == Library.TK_REDIS && redis == null) {
            return skipped(lib, sc, "skipped: " + notes.get("Redis"));
        }
        if (lib == Library.TK_POSTGRES && pg == null) {
            return skipped(lib, sc, "skipped: " + notes.get("PostgreSQL"));
        }
        log.printf("== %s: %s%n", lib.label, sc.describe());
        Env env = new Env(idp.tokenUri(), sc.lifetime(), redis, pg, sealing, tag + lib.ordinal());
        Result r = Simulation.run(lib, sc, idp, env);
        log.printf("   requests=%d ideal=%d calls=%d failed=%d expired=%d p50=%s p99=%s max=%s stragglers=%d%s%n",
                r.requests(), r.ideal(), r.calls(), r.failed(), r.expired(), Samples.human(r.latency().percentile(50)),
                Samples.human(r.latency().percentile(99)), Samples.human(r.latency().max()), r.stragglers(),
                r.error() == null ? "" : " error=" + r.error());
        return r;
    }

    private static Result skipped(Library lib, Scenario sc, String why) {
        return new Result(lib, sc, 0, 0, 0, 0, 0, new Samples(), new Samples(), 0, 0, 0, why);
    }

    // ------------------------------------------------------------------------------------------

    /** One JMH figure. */
    record Jmh(double score, double error, double bytesPerOp, String unit) {}

    static final List<String> HOT = List.of("floor", "tokenkeeperMemory", "tokenkeeperHandle", "tokenkeeperRedisNearCache", "caffeine",
            "springAuthorize", "googleRequestMetadata");

    /** The rows the hot-path bars judge; the rest of {@link #HOT} are peers, compared but not judged. */
    static final List<String> JUDGED = List.of("floor", "tokenkeeperMemory", "tokenkeeperHandle");

    private Map<String, Jmh> runJmh(int threads, URI redis) throws RunnerException {
        List<String> peers = new ArrayList<>(HOT);
        peers.removeAll(JUDGED);
        if (redis == null) {
            peers.remove("tokenkeeperRedisNearCache");
        }
        Map<String, Jmh> out = new LinkedHashMap<>();
        JmhRuns judged = new JmhRuns(threads == 1 ? plan.jmhForks() : plan.jmhForksMoreThreads(), plan.jmhWarmups(),
                plan.jmhIterations(), plan.jmhIterationTime());
        runHot(JUDGED, judged, threads, redis, out);
        runHot(peers, plan.peerRuns(), threads, redis, out);
        Map<String, Jmh> ordered = new LinkedHashMap<>(); // the tables list HOT's order
        HOT.stream().filter(out::containsKey).forEach(m -> ordered.put(m, out.get(m)));
        return ordered;
    }

    private void runHot(List<String> methods, JmhRuns runs, int threads, URI redis, Map<String, Jmh> out) throws RunnerException {
        ChainedOptionsBuilder o = runs.applyTo(new OptionsBuilder()
                        .include(HotPathBenchmark.class.getName() + "\\.(" + String.join("|", methods) + ")$"))
                .threads(threads)
                .timeUnit(TimeUnit.NANOSECONDS)
                .addProfiler(GCProfiler.class)
                .jvmArgsAppend("-Xms512m", "-Xmx512m")
                .shouldFailOnError(false);
        if (redis != null) {
            o.jvmArgsAppend("-D" + HotPathBenchmark.REDIS_PROPERTY + "=" + redis);
        }
        Collection<RunResult> results = new Runner(o.build()).run();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            name = name.substring(name.lastIndexOf('.') + 1);
            double bytes = Double.NaN;
            for (Map.Entry<String, org.openjdk.jmh.results.Result> e : r.getSecondaryResults().entrySet()) {
                if (e.getKey().endsWith("gc.alloc.rate.norm")) {
                    bytes = e.getValue().getScore();
                }
            }
            org.openjdk.jmh.results.Result p = r.getPrimaryResult();
            out.put(name, new Jmh(p.getScore(), p.getScoreError(), bytes, p.getScoreUnit()));
        }
        for (String m : methods) {
            if (!out.containsKey(m)) {
                notes.put("JMH " + m + " (" + threads + " thread" + (threads > 1 ? "s" : "") + ")",
                        "the benchmark failed; see the JMH output in the run log");
            }
        }
    }


    /**
     * What a request costs beyond the cached token, each a JMH benchmark run as {@link Plan#costRuns()}
     * says (shorter than the hot path's: these are microseconds, and the rows compare within
     * themselves): a client assertion per algorithm, a DPoP proof, and each HTTP client integration
     * against the same request sent plainly; plus the hot path with a DPoP endpoint, beside the plain
     * one, with the hot path's iterations and the peers' forks.
     */
    private Map<String, Jmh> runCosts() throws RunnerException {
        Map<String, Jmh> out = new LinkedHashMap<>();
        ChainedOptionsBuilder o = plan.costRuns().applyTo(new OptionsBuilder()
                .include("(" + java.util.regex.Pattern.quote(ClientOverheadBenchmark.class.getName()) + "|"
                        + java.util.regex.Pattern.quote(DpopBenchmark.class.getName()) + "|"
                        + java.util.regex.Pattern.quote(dev.tokenkeeper.adapter.http.ClientAssertionBenchmark.class.getName())
                        + ")\\..*"))
                .threads(1)
                .timeUnit(TimeUnit.MICROSECONDS)
                .jvmArgsAppend("-Xms512m", "-Xmx512m")
                .shouldFailOnError(false);
        collect(new Runner(o.build()).run(), out);
        ChainedOptionsBuilder hot = new OptionsBuilder()
                .include(HotPathBenchmark.class.getName() + "\\.(tokenkeeperMemory|tokenkeeperMemoryDpop)$")
                .forks(plan.peerRuns().forks())
                .warmupIterations(plan.jmhWarmups())
                .warmupTime(TimeValue.milliseconds(plan.jmhIterationTime().toMillis()))
                .measurementIterations(plan.jmhIterations())
                .measurementTime(TimeValue.milliseconds(plan.jmhIterationTime().toMillis()))
                .threads(1)
                .timeUnit(TimeUnit.NANOSECONDS)
                .jvmArgsAppend("-Xms512m", "-Xmx512m")
                .shouldFailOnError(false);
        collect(new Runner(hot.build()).run(), out);
        return out;
    }

    /** The results keyed by method name, with the parameter (if any) after a slash: {@code assertion/ES256}. */
    private static void collect(Collection<RunResult> results, Map<String, Jmh> out) {
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            name = name.substring(name.lastIndexOf('.') + 1);
            for (String p : r.getParams().getParamsKeys()) {
                name += "/" + r.getParams().getParam(p);
            }
            org.openjdk.jmh.results.Result p = r.getPrimaryResult();
            out.put(name, new Jmh(p.getScore(), p.getScoreError(), Double.NaN, p.getScoreUnit()));
        }
    }

    // ------------------------------------------------------------------------------------------

    static Map<String, String> versions() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("JVM", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                + System.getProperty("java.vm.vendor") + ")");
        v.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch")
                + ", " + Runtime.getRuntime().availableProcessors() + " CPUs");
        Properties p = new Properties();
        try (InputStream in = BenchmarkSuite.class.getResourceAsStream("/tokenkeeper-bench-versions.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String k : List.of("tokenkeeper", "jmh", "caffeine", "spring-security", "spring-framework",
                "google-auth-library", "vertx", "okhttp", "reactor-core", "jedis", "jdbi", "h2", "postgresql-driver", "hikaricp")) {
            v.put(k, p.getProperty(k, "?"));
        }
        return v;
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + ", " + f[1] + ", " + f[2] + " (1, 5, 15 min) at "
                    + Instant.now().truncatedTo(ChronoUnit.SECONDS);
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    static String fmt(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }
}
