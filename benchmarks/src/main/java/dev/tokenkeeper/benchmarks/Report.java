package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.benchmarks.BenchmarkSuite.Jmh;
import dev.tokenkeeper.benchmarks.BenchmarkSuite.Plan;
import dev.tokenkeeper.benchmarks.Contenders.Library;
import dev.tokenkeeper.benchmarks.Simulation.Result;
import dev.tokenkeeper.fakeidp.FakeIdp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders {@code docs/BENCHMARKS.md} from one run's figures. */
final class Report {

    private final Plan plan;
    private final String command;
    private final Instant started;
    private final String loadBefore;
    private final String loadAfter;
    private final Map<String, String> versions;
    private final Map<String, String> notes;
    private final Map<Integer, Map<String, Jmh>> hot;
    private final List<Result> stampede;
    private final List<Result> outage;
    private final List<Result> scale;
    private final Samples miss;
    private final List<Probes.StoreLatency> stores;
    private final List<Probes.StorePath> paths;
    private final StringBuilder md = new StringBuilder();
    private CliProbe.Result cli;
    private MemoryProbe.Result memory;
    private SidecarLoad.Result sidecar;
    private java.time.Duration elapsed;
    private Map<String, Jmh> costs = Map.of();
    private ProxyLatency.Result proxy;

    Report(Plan plan, String command, Instant started, String loadBefore, String loadAfter, Map<String, String> versions,
            Map<String, String> notes, Map<Integer, Map<String, Jmh>> hot, List<Result> stampede, List<Result> outage,
            List<Result> scale, Samples miss, List<Probes.StoreLatency> stores, List<Probes.StorePath> paths) {
        this.plan = plan;
        this.command = command;
        this.started = started;
        this.loadBefore = loadBefore;
        this.loadAfter = loadAfter;
        this.versions = versions;
        this.notes = notes;
        this.hot = hot;
        this.stampede = stampede;
        this.outage = outage;
        this.scale = scale;
        this.miss = miss;
        this.stores = stores;
        this.paths = paths;
    }

    /** The figures of the rows added for the command line, memory and the sidecar (each may be null: not run). */
    Report extras(CliProbe.Result cli, MemoryProbe.Result memory, SidecarLoad.Result sidecar, java.time.Duration elapsed) {
        this.cli = cli;
        this.memory = memory;
        this.sidecar = sidecar;
        this.elapsed = elapsed;
        return this;
    }

    /** The injecting proxy's added latency (null: not run). */
    Report proxy(ProxyLatency.Result proxy) {
        this.proxy = proxy;
        return this;
    }

    /** The per-request cost rows (JMH), keyed by method name (and parameter). */
    Report costs(Map<String, Jmh> costs) {
        this.costs = costs;
        return this;
    }

    static final Map<String, String> HOT_LABELS = Map.of(
            "floor", "floor: `AtomicReference` read + `System.nanoTime()` compare",
            "tokenkeeperMemory", "**tokenkeeper**, memory store (near-cache hit)",
            "tokenkeeperHandle", "**tokenkeeper**, memory store, `manager.handle(key).token()` (no map lookup)",
            "tokenkeeperRedisNearCache", "**tokenkeeper**, Redis store (near-cache hit)",
            "caffeine", "Caffeine `LoadingCache.get`",
            "springAuthorize", "Spring Security `AuthorizedClientServiceOAuth2AuthorizedClientManager.authorize`",
            "googleRequestMetadata", "google-auth `OAuth2Credentials.getRequestMetadata`");

    String render() {
        boolean smoke = plan.name().equals("smoke");
        h("# tokenkeeper benchmarks");
        if (smoke) {
            p("> **SMOKE RUN — NOT A MEASUREMENT.** These figures come from `benchmarks/run.sh --smoke`: very short "
                    + "JMH iterations, two-second token lifetimes and few instances, taken on a shared 2-core machine while "
                    + "other builds and tests were running (see the load average below). They show that every benchmark "
                    + "runs and what it reports, nothing more. Run `benchmarks/run.sh` on a quiet machine for the real figures.");
        } else {
            p("> Full run of `benchmarks/run.sh` with the fixed parameters below. Check the load average: a figure taken "
                    + "while the machine was busy is not a measurement.");
        }
        p("Generated " + started.truncatedTo(ChronoUnit.SECONDS) + " by `dev.tokenkeeper.benchmarks.BenchmarkSuite` "
                + "(mode **" + plan.name() + "**).");
        p("- Command: `" + command);
        p("- Load average before: " + loadBefore + "; after: " + loadAfter);
        table(new String[] {"Component", "Version"}, versions.entrySet().stream()
                .map(e -> new String[] {e.getKey(), e.getValue()}).toList());
        if (!notes.isEmpty()) {
            h("## Skipped or failed");
            notes.forEach((k, v) -> p("- **" + k + "**: " + v));
        }
        standing();
        hotPath();
        simulations();
        refreshLatency();
        redisScale();
        storeLatency();
        commandLine();
        memory();
        sidecar();
        costs();
        proxy();
        method();
        return md.toString();
    }

    // ------------------------------------------------------------------------------------------

    private void standing() {
        h("## Where we stand against the bars");
        List<String[]> bars = new java.util.ArrayList<>(List.of(
                hotBar(),
                allocBar(),
                jmhErrorBar(),
                peerRequestsBar(),
                requestsBar(),
                latencyBar(),
                outageBar()));
        bars.addAll(cliBars());
        bars.addAll(memoryBars());
        bars.add(proxyBar());
        bars.add(durationBar());
        table(new String[] {"Bar", "Figure", "Met?"}, bars);
        p("\"Met?\" is computed from this run's figures; a smoke run cannot meet or miss a bar in any meaningful way.");
    }

    private String[] hotBar() {
        Map<String, Jmh> one = hot.get(1);
        if (one == null || !one.containsKey("floor") || !one.containsKey("tokenkeeperMemory")) {
            return new String[] {"hot path within 1.2× of the floor", "not run", "–"};
        }
        double floor = one.get("floor").score();
        double ratio = one.get("tokenkeeperMemory").score() / floor;
        String figure = f("keyed `token(key)`: %.2f ns vs %.2f ns = %.2f×", one.get("tokenkeeperMemory").score(), floor, ratio);
        String met = yes(ratio <= 1.2);
        if (one.containsKey("tokenkeeperHandle")) {
            double handle = one.get("tokenkeeperHandle").score() / floor;
            figure += f("; bound `handle(key).token()`: %.2f ns = %.2f×", one.get("tokenkeeperHandle").score(), handle);
            met = "keyed: " + met + "; handle: " + yes(handle <= 1.2);
        }
        return new String[] {"hot path within 1.2× of the floor (1 thread; mind the error column)", figure, met};
    }

    private String[] allocBar() {
        Map<String, Jmh> one = hot.get(1);
        if (one == null || !one.containsKey("tokenkeeperMemory")) {
            return new String[] {"hot path 0 B/op", "not run", "–"};
        }
        double b = one.get("tokenkeeperMemory").bytesPerOp();
        return new String[] {"hot path 0 B/op (`-prof gc`)", f("%.3f B/op", b), yes(b < 0.5)};
    }

    private String[] requestsBar() {
        StringBuilder s = new StringBuilder();
        boolean ok = true;
        boolean any = false;
        for (Result r : stampede) {
            if (r.library().shared && r.error() == null) {
                any = true;
                s.append(f("%s: %d requests for %d lifetimes (%.2f per lifetime); ", short_(r.library()), r.requests(),
                        r.scenario().lifetimes(), r.perLifetimePerHolder()));
                ok &= r.requests() <= refreshCycles(r);
            }
        }
        return new String[] {"1 token request per lifetime, " + plan.stampede().instances() + " instances sharing Redis/PostgreSQL",
            any ? s.toString() : "no shared store ran", any ? yes(ok) + " (yes means at most one request per refresh cycle "
                    + "for the whole cluster: " + (stampede.isEmpty() ? "?" : refreshCycles(stampede.get(0)))
                    + " in this run, see section 2)" : "–"};
    }

    private String[] latencyBar() {
        StringBuilder s = new StringBuilder();
        boolean ok = true;
        boolean any = false;
        for (Result r : stampede) {
            if (r.library().name().startsWith("TK_") && r.error() == null) {
                any = true;
                long p99 = r.duringRefresh().percentile(99);
                s.append(f("%s: %s; ", short_(r.library()), Samples.human(p99)));
                ok &= p99 >= 0 && p99 < 1_000_000;
            }
        }
        return new String[] {"p99 caller latency across refreshes < 1 ms (proactive refresh)",
            any ? s.toString() : "not run", any ? yes(ok) : "–"};
    }

    private String[] outageBar() {
        StringBuilder s = new StringBuilder();
        boolean ok = true;
        boolean any = false;
        for (Result r : outage) {
            if (r.library().name().startsWith("TK_") && r.error() == null) {
                any = true;
                s.append(f("%s: %d failed, %d expired; ", short_(r.library()), r.failed(), r.expired()));
                ok &= r.failed() == 0 && r.expired() == 0;
            }
        }
        return new String[] {"zero failed calls and zero expired tokens during an IdP outage shorter than the token's remaining life",
            any ? s.toString() : "not run", any ? yes(ok) : "–"};
    }

    /**
     * One request per refresh cycle: a library that renews 0.2 L + L/20 (+ up to 0.05 L jitter) early
     * replaces its token every 0.7 to 0.75 L, so "one request per lifetime" means at most
     * {@code ceil(lifetimes / 0.7)} requests per token holder in a run.
     */
    static long refreshCycles(Result r) {
        return (long) Math.ceil(r.scenario().lifetimes() / 0.7);
    }

    /** The fewest requests any library with these margins needs: tokens usable for L minus the skew. */
    static long minimumRequests(Result r) {
        double usable = 1.0 - 1.0 / 20;
        return (long) Math.ceil(r.scenario().lifetimes() / usable);
    }

    // ------------------------------------------------------------------------------------------

    private String[] jmhErrorBar() {
        StringBuilder s = new StringBuilder();
        boolean ok = true;
        boolean any = false;
        for (Map.Entry<Integer, Map<String, Jmh>> e : hot.entrySet()) {
            for (String name : List.of("floor", "tokenkeeperMemory", "tokenkeeperHandle")) {
                Jmh j = e.getValue().get(name);
                if (j != null) {
                    any = true;
                    double rel = j.error() / j.score();
                    s.append(f("%s/%dt %.1f%%; ", name, e.getKey(), 100 * rel));
                    ok &= rel < 0.10;
                }
            }
        }
        return new String[] {"JMH error under 10 % of the score for the hot-path rows (floor, keyed, handle; 1 and 2 threads)",
            any ? s.toString() : "not run", any ? yes(ok) : "–"};
    }

    private String[] peerRequestsBar() {
        Result tk = stampede.stream().filter(r -> r.library() == Library.TK_MEMORY && r.error() == null).findFirst().orElse(null);
        Result best = stampede.stream().filter(r -> !r.library().name().startsWith("TK_") && r.error() == null)
                .min(java.util.Comparator.comparingLong(Result::requests)).orElse(null);
        if (tk == null || best == null) {
            return new String[] {"per holder, no more token requests than the best peer (stampede)", "not run", "–"};
        }
        return new String[] {"per holder, no more token requests than the best peer (stampede, per-instance caches), 0 expired",
            f("tokenkeeper (memory): %d requests, %d expired; best peer (%s): %d", tk.requests(), tk.expired(),
                    short_(best.library()), best.requests()),
            yes(tk.requests() <= best.requests() && tk.expired() == 0)};
    }

    private List<String[]> cliBars() {
        if (cli == null) {
            return List.of();
        }
        if (cli.error() != null || cli.token().count() == 0) {
            return List.<String[]>of(new String[] {"cached `token` ≤ 0.25 s wall and ≤ 5× a trivial JVM", "failed: " + cli.error(), "–"});
        }
        long floor = cli.trivial().percentile(50);
        List<String[]> rows = new java.util.ArrayList<>();
        for (Object[] c : new Object[][] {{"token", cli.token()}, {"status", cli.status()}}) {
            long p50 = ((Samples) c[1]).percentile(50);
            double ratio = p50 / (double) floor;
            rows.add(new String[] {"cached `" + c[0] + "` ≤ 0.25 s wall and ≤ 5× a trivial JVM (medians, same run)",
                f("%s vs trivial %s = %.2f×", Samples.human(p50), Samples.human(floor), ratio),
                "0.25 s: " + yes(p50 <= 250_000_000L) + "; 5×: " + yes(ratio <= 5)});
        }
        return rows;
    }

    private List<String[]> memoryBars() {
        if (memory == null) {
            return List.of();
        }
        double flat = memory.flatness();
        double few = memory.sweepCpuMsPerSecondFew();
        double many = memory.sweepCpuMsPerSecondMany();
        return List.of(
            new String[] {f("heap flat while %,d distinct keys pass through a %,d-key near cache", memory.touched(), memory.maximumKeys()),
                f("largest ÷ smallest used heap after the bound was reached: %.2f; %,.0f bytes per resident key", flat,
                        memory.bytesPerResidentKey()),
                yes(flat <= 1.2)},
            new String[] {"the sweep's CPU does not grow with idle keys",
                f("%.2f ms/s with %,d keys, %.2f ms/s with %,d keys (process CPU while idle)", few, memory.fewKeys(), many,
                        memory.manyKeys()),
                yes(many <= few * 1.5 + 1.0)});
    }

    private String[] durationBar() {
        if (elapsed == null) {
            return new String[] {"the whole run under 15 minutes", "unknown", "–"};
        }
        return new String[] {"the whole run under 15 minutes", f("%d min %d s (without the build)", elapsed.toMinutes(),
                elapsed.toSecondsPart()), yes(elapsed.compareTo(java.time.Duration.ofMinutes(15)) < 0)};
    }

    private void commandLine() {
        h("## 7. Command line: a cached `token` and `status`");
        if (cli == null) {
            p("_Not run._");
            return;
        }
        p(f("Each run is a new process started through the launcher (`%s`, which maps the class-data archive it recorded "
                + "on first use), timed from start to exit, %d runs each, interleaved with the floor: `java -Xshare:auto` "
                + "running a class that reads a file and prints it. Before the timed runs, one run fetched the token "
                + "(and recorded the archive) and one more ran untimed; the IdP saw one token request in all.",
                cli.launcher(), cli.runs()));
        if (cli.error() != null) {
            p("**Failed:** " + cli.error());
            return;
        }
        List<String[]> rows = new java.util.ArrayList<>();
        long floor = cli.trivial().percentile(50);
        for (Object[] c : new Object[][] {{"`tokenkeeper token` (cached)", cli.token()}, {"`tokenkeeper status` (cached)", cli.status()},
                {"trivial JVM (floor)", cli.trivial()}}) {
            Samples x = (Samples) c[1];
            rows.add(new String[] {(String) c[0], Samples.human(x.percentile(50)), Samples.human(x.percentile(90)),
                Samples.human(x.max()), f("%.2f×", x.percentile(50) / (double) floor)});
        }
        table(new String[] {"Command", "p50", "p90", "max", "p50 ÷ floor"}, rows);
    }

    private void memory() {
        h("## 8. Many keys: bounded memory and the sweep");
        if (memory == null) {
            p("_Not run._");
            return;
        }
        p(f("One manager with `maximumKeys(%,d)` asked for %,d distinct keys in turn (one token each, from an in-process "
                + "endpoint that answers at once, so only the manager's own memory counts); the used heap was read after "
                + "three `System.gc()` calls every tenth of the way. %,d keys were resident at the end; the baseline "
                + "before the manager was %s. Bytes per resident key = (used heap at the first reading at or beyond the "
                + "bound − baseline) ÷ resident keys. Then, with one-hour tokens and nothing due, the process CPU over %d s "
                + "of idle time, with %,d and with %,d resident keys (the sweep runs every second).",
                memory.maximumKeys(), memory.touched(), memory.resident(), mib(memory.baselineHeap()),
                memory.idleWindow().toSeconds(), memory.fewKeys(), memory.manyKeys()));
        List<String[]> rows = new java.util.ArrayList<>();
        for (long[] r : memory.heapByTouched()) {
            rows.add(new String[] {f("%,d", r[0]), mib(r[1])});
        }
        table(new String[] {"Distinct keys touched", "Used heap after GC"}, rows);
    }

    private void sidecar() {
        h("## 9. Sidecar: `/token/{client}` under 64 keep-alive connections");
        if (sidecar == null) {
            p("_Not run._");
            return;
        }
        p(f("The sidecar served in this JVM on loopback (its own Vert.x), a second Vert.x HTTP client with %d keep-alive "
                + "connections, each sending its next request when the previous answer arrived. %d rounds of %d s per path, "
                + "alternating, after an unmeasured warm-up of each. The floor is `/health/live` of the same server, a "
                + "handler that answers a constant. Client and server share the machine's cores.",
                sidecar.connections(), sidecar.rounds(), sidecar.round().toSeconds()));
        if (sidecar.error() != null) {
            p("**Failed:** " + sidecar.error());
            return;
        }
        List<String[]> rows = new java.util.ArrayList<>();
        SidecarLoad.PathResult floor = sidecar.floor();
        for (SidecarLoad.PathResult r : List.of(sidecar.token(), floor)) {
            rows.add(new String[] {"`" + r.path() + "`", f("%,.0f", r.rps()), Samples.human(r.latency().percentile(50)),
                Samples.human(r.latency().percentile(99)), Long.toString(r.errors()),
                f("%.2f", r.rps() / floor.rps()), f("%.2f×", r.latency().percentile(99) / (double) floor.latency().percentile(99))});
        }
        table(new String[] {"Path", "requests/s", "p50", "p99", "errors", "rps ÷ floor", "p99 ÷ floor"}, rows);
    }

    private String[] proxyBar() {
        String bar = "injecting proxy adds at most 1 ms per request at p50 (loopback, section 11)";
        if (proxy == null || proxy.error() != null) {
            return new String[] {bar, proxy == null ? "not run" : "failed", "–"};
        }
        return new String[] {bar, f("%s direct → %s through the proxy: +%s, %.2f×", Samples.human(proxy.direct().latency().percentile(50)),
                Samples.human(proxy.proxied().latency().percentile(50)), Samples.human(proxy.addedP50()), proxy.p50Ratio()),
            yes(proxy.addedP50() <= 1_000_000)};
    }

    private void proxy() {
        h("## 11. Injecting proxy: added latency per request");
        if (proxy == null) {
            p("_Not run._");
            return;
        }
        p(f("The same GET (`/orders?page=1`, a 1 KiB answer) to one loopback Vert.x upstream, sent directly (with a fixed "
                + "bearer header) and through a proxy route of the sidecar (which adds the cached token), by a Vert.x client "
                + "with %d keep-alive connections in closed loops; %d rounds of %d s per path, alternating, after an "
                + "unmeasured warm-up of each. The proxied request makes two loopback hops where the direct one makes one, "
                + "so about 2× is the floor of the ratio. Client, proxy and upstream share the machine's cores.",
                proxy.connections(), proxy.rounds(), proxy.round().toSeconds()));
        if (proxy.error() != null) {
            p("**Failed:** " + proxy.error());
            return;
        }
        List<String[]> rows = new java.util.ArrayList<>();
        for (ProxyLatency.PathResult r : List.of(proxy.direct(), proxy.proxied())) {
            rows.add(new String[] {r.path(), f("%,.0f", r.rps()), Samples.human(r.latency().percentile(50)),
                Samples.human(r.latency().percentile(99)), Long.toString(r.errors()),
                f("%.2f×", r.latency().percentile(50) / (double) proxy.direct().latency().percentile(50)),
                f("%.2f×", r.latency().percentile(99) / (double) proxy.direct().latency().percentile(99))});
        }
        table(new String[] {"Path", "requests/s", "p50", "p99", "errors", "p50 ÷ direct", "p99 ÷ direct"}, rows);
        p("Added per request at p50: " + Samples.human(proxy.addedP50()) + ".");
    }

    private void costs() {
        h("## 10. What a request costs beyond the cached token (JMH)");
        if (costs.isEmpty()) {
            p("_Not run._");
            return;
        }
        p(plan.costRuns().describe() + ", one thread (the hot-path rows below use the hot path's iterations and "
                + plan.peerRuns().forks() + " forks). A client assertion and a DPoP proof are made only when a token request "
                + "(or, for DPoP, a resource request) is sent, never on a cache hit. The HTTP client rows send the same GET "
                + "to a loopback server (JDK `HttpServer`, kept-alive connection) plainly and through the integration, which "
                + "adds the cached token of a real manager; each pair shares one client and its connections, and its ratio "
                + "is authenticated ÷ plain from this run. Spring's `RestClient` and `WebClient` run on the JDK's HTTP client "
                + "(`JdkClientHttpRequestFactory`, `JdkClientHttpConnector`).");
        List<String[]> rows = new java.util.ArrayList<>();
        String[][] crypto = {
            {"assertion/RS256", "`private_key_jwt` assertion, RS256 (2048-bit key)"},
            {"assertion/ES256", "`private_key_jwt` assertion, ES256"},
            {"assertion/HS256", "`client_secret_jwt` assertion, HS256"},
            {"tokenRequestProofEs256", "DPoP proof for a token request, ES256"},
            {"resourceRequestProofEs256", "DPoP proof for a resource request (with `ath`), ES256"},
            {"tokenRequestProofRs256", "DPoP proof for a token request, RS256"}};
        for (String[] c : crypto) {
            Jmh j = costs.get(c[0]);
            rows.add(new String[] {c[1], j == null ? "not run" : f("%.1f ± %.1f %s", j.score(), j.error(), j.unit()), ""});
        }
        String[][] pairs = {
            {"jdkPlain", "jdkAuthenticated", "JDK `HttpClient` → `AuthenticatedHttpClient`"},
            {"okhttpPlain", "okhttpAuthenticated", "OkHttp → `TokenInterceptor`"},
            {"restClientPlain", "restClientAuthenticated", "Spring `RestClient` → `TokenRequestInterceptor`"},
            {"webClientPlain", "webClientAuthenticated", "Spring `WebClient` → `TokenExchangeFilter`"},
            {"vertxPlain", "vertxAuthenticated", "Vert.x `WebClient` → `AuthenticatedWebClient`"},
            {"tokenkeeperMemory", "tokenkeeperMemoryDpop", "cached `token(key)`: plain endpoint → DPoP endpoint"}};
        for (String[] pr : pairs) {
            Jmh a = costs.get(pr[0]);
            Jmh b = costs.get(pr[1]);
            rows.add(new String[] {pr[2], a == null || b == null ? "not run"
                    : f("%.2f ± %.2f → %.2f ± %.2f %s", a.score(), a.error(), b.score(), b.error(), b.unit()),
                a == null || b == null ? "" : f("%.2f×", b.score() / a.score())});
        }
        table(new String[] {"What", "Score (mean ± 99.9 % error)", "ratio"}, rows);
    }

    private static String mib(long bytes) {
        return f("%.1f MiB", bytes / 1024.0 / 1024.0);
    }

    private void hotPath() {
        h("## 1. Hot path: a valid cached token (JMH)");
        p(f("Average time per call, `-prof gc`. The rows the bars judge (the floor, tokenkeeper keyed and bound) ran %d forks "
                + "(" + plan.jmhForksMoreThreads() + " with 2 threads), %d × %d ms warm-up and %d × %d ms measurement iterations; the peers " + plan.peerRuns().describe() + ". "
                + "The error is JMH's 99.9%% confidence half-interval. Each contender fetched its one-hour token from the loopback "
                + "IdP in its setup, and its tear-down checks that no further request was made, so only the cached path is "
                + "timed. With 2 threads both share one instance. B/op is `gc.alloc.rate.norm`.",
                plan.jmhForks(), plan.jmhWarmups(), plan.jmhIterationTime().toMillis(), plan.jmhIterations(), plan.jmhIterationTime().toMillis()));
        if (hot.isEmpty()) {
            p("_Not run._");
            return;
        }
        for (Map.Entry<Integer, Map<String, Jmh>> e : hot.entrySet()) {
            Map<String, Jmh> m = e.getValue();
            h("### " + e.getKey() + " thread" + (e.getKey() > 1 ? "s" : ""));
            Jmh floor = m.get("floor");
            Jmh tk = m.get("tokenkeeperMemory");
            List<String[]> rows = new java.util.ArrayList<>();
            for (String name : BenchmarkSuite.HOT) {
                Jmh j = m.get(name);
                if (j == null) {
                    rows.add(new String[] {HOT_LABELS.get(name), "not run", "", "", "", ""});
                    continue;
                }
                rows.add(new String[] {HOT_LABELS.get(name), f("%.2f", j.score()), Double.isNaN(j.error()) ? "n/a (too few iterations)" : f("± %.2f", j.error()), f("%.1f", j.bytesPerOp()),
                    floor == null ? "–" : f("%.2f×", j.score() / floor.score()),
                    tk == null ? "–" : f("%.2f", tk.score() / j.score())});
            }
            table(new String[] {"Contender", "ns/op", "error", "B/op", "× floor", "tokenkeeper (memory) ÷ this"}, rows);
        }
        p("Reference points quoted in the issue (2-core, JMH 1.37, JDK 17): AtomicReference+nanoTime ≈ 26 ns/op 0 B/op; "
                + "google-auth getRequestMetadata ≈ 30 ns 0 B/op; Caffeine get ≈ 58 ns; Spring authorize() ≈ 124 ns 304 B/op; "
                + "MSAL4J cache hit ≈ 5 µs (MSAL4J is not benchmarked here: it talks to Entra ID/B2C authorities, not to a "
                + "generic token endpoint).");
    }

    private void simulations() {
        h("## 2. Stampede: N instances × T threads through several token lifetimes");
        if (stampede.isEmpty()) {
            p("_Not run._");
        } else {
            p("Scenario: " + plan.stampede().describe() + ". All callers start together on cold caches. "
                    + "\"Ideal\" is one request per lifetime per token holder (one holder per instance for per-instance "
                    + "libraries, one for a shared store); before the first row every library ran a short unmeasured warm-up "
                    + "(2 instances × 2 threads, 1 s tokens, 2 s) in the same JVM so that class loading and JIT are not "
                    + "counted against whichever runs first. With a " + "clock skew of L/20 no library can do better than "
                    + minimumRequests(stampede.get(0)) + " per holder in this run, and one that refreshes ahead (renewing every "
                    + "0.7–0.75 L) needs up to " + refreshCycles(stampede.get(0)) + ": that is what \"one request per "
                    + "lifetime\" can mean for a refresh-ahead library.");
            simTable(stampede, false);
        }
        h("## 3. Outage: the IdP answers 503 for a window");
        if (outage.isEmpty()) {
            p("_Not run._");
        } else {
            Simulation.Scenario o = plan.outage();
            p("Scenario: " + o.describe() + f(" — an outage of %.1f s. ", o.outageLength() * o.lifetime().toMillis() / 1000.0)
                    + "\"Newest token's remaining life\" is how long the most recently issued token still had to live "
                    + "(by the IdP's clock) when the outage began: when it is longer than the outage, a library that "
                    + "holds that token never has to show the outage to its callers. For per-instance libraries it is "
                    + "the newest of the instances' tokens.");
            simTable(outage, true);
        }
    }

    private void simTable(List<Result> results, boolean outageColumns) {
        List<String[]> rows = new java.util.ArrayList<>();
        Result tkMem = results.stream().filter(r -> r.library() == Library.TK_MEMORY).findFirst().orElse(null);
        for (Result r : results) {
            if (r.error() != null) {
                rows.add(outageColumns
                        ? new String[] {r.library().label, r.error(), "", "", "", "", "", "", ""}
                        : new String[] {r.library().label, r.error(), "", "", "", "", "", "", "", "", "", ""});
                continue;
            }
            String requests = r.requests() + (outageColumns ? " (" + r.refusedDuringOutage() + " refused)" : "");
            String failed = r.failed() + (r.stragglers() > 0 ? " (+" + r.stragglers() + " callers stuck at the end)" : "");
            if (outageColumns) {
                rows.add(new String[] {r.library().label, requests, Long.toString(r.calls()), failed, Long.toString(r.expired()),
                    f("%.2f s vs %.2f s outage", r.newestRemainingAtOutageMillis() / 1000.0,
                            r.scenario().outageLength() * r.scenario().lifetime().toMillis() / 1000.0),
                    Samples.human(r.latency().percentile(50)), Samples.human(r.latency().percentile(99)),
                    Samples.human(r.latency().max())});
            } else {
                String vsTk = tkMem == null || tkMem.error() != null || tkMem.requests() == 0 ? "–"
                        : f("%.2f×", r.requests() / (double) tkMem.requests());
                rows.add(new String[] {r.library().label, Long.toString(r.requests()), Long.toString(r.ideal()),
                    f("%.2f× (%.2f per lifetime per holder)", r.requests() / (double) Math.max(1, r.ideal()), r.perLifetimePerHolder()),
                    vsTk,
                    Long.toString(r.calls()), failed, Long.toString(r.expired()),
                    Samples.human(r.latency().percentile(50)), Samples.human(r.latency().percentile(99)),
                    Samples.human(r.latency().max()),
                    Samples.human(r.duringRefresh().percentile(99)) + " (" + r.duringRefresh().count() + " calls)"});
            }
        }
        if (outageColumns) {
            table(new String[] {"Library", "IdP requests", "Calls", "Failed calls", "Expired tokens served",
                "Newest token's remaining life at outage start", "p50", "p99", "max"}, rows);
        } else {
            table(new String[] {"Library", "IdP requests", "Ideal", "÷ ideal", "requests ÷ tokenkeeper (memory, same instances)", "Calls", "Failed calls", "Expired tokens served",
                "p50", "p99", "max", "p99 while a token request is in flight"}, rows);
        }
    }

    private void refreshLatency() {
        h("## 4. Caller latency: background refresh vs waiting for the IdP");
        List<String[]> rows = new java.util.ArrayList<>();
        for (Result r : stampede) {
            if (r.library().name().startsWith("TK_") && r.error() == null) {
                Samples d = r.duringRefresh();
                rows.add(new String[] {r.library().label + ": calls made while a token request was in flight (after the "
                        + "caller's first token)", Integer.toString(d.count()), Samples.human(d.percentile(50)),
                    Samples.human(d.percentile(99)), Samples.human(d.max())});
            }
        }
        if (miss != null) {
            rows.add(new String[] {"tokenkeeper, miss path: a key never seen before, the caller waits for the IdP ("
                    + plan.stampede().latency().toMillis() + " ms latency)", Integer.toString(miss.count()),
                Samples.human(miss.percentile(50)), Samples.human(miss.percentile(99)), Samples.human(miss.max())});
        }
        if (rows.isEmpty()) {
            p("_Not run._");
            return;
        }
        table(new String[] {"Path", "Calls", "p50", "p99", "max"}, rows);
        p("The first rows come from the stampede run (section 2): with proactive refresh the token is replaced "
                + "in the background, so a call made while the IdP is answering should cost what a near-cache hit costs. "
                + "Calls during the cold start (before the caller's first token) are not in them.");
    }

    private void redisScale() {
        h("## 5. Redis: near-cache hit, Redis path, and instances sharing Redis");
        List<String[]> rows = new java.util.ArrayList<>();
        for (Probes.StorePath sp : paths) {
            if (sp.error() != null) {
                rows.add(new String[] {sp.store(), sp.error(), "", "", "", "", ""});
                continue;
            }
            rows.add(new String[] {sp.store(), Integer.toString(sp.storePath().count()), Samples.human(sp.storePath().percentile(50)),
                Samples.human(sp.storePath().percentile(99)), Samples.human(sp.storePath().max()),
                Samples.human(sp.nearHit().percentile(50)), Samples.human(sp.nearHit().percentile(99))});
        }
        if (!rows.isEmpty()) {
            p("A writer instance acquires " + plan.pathKeys() + " keys through the store; a fresh reader instance then asks "
                    + "for each once (near-cache miss served from the store: load, unseal, install; the reader made no IdP "
                    + "request) and once more (near-cache hit). One call at a time, `System.nanoTime()` around each; "
                    + "the near-cache hit here includes the timer's own cost, the JMH figure in section 1 does not.");
            table(new String[] {"Store", "Keys", "store path p50", "store path p99", "store path max", "near-cache hit p50",
                "near-cache hit p99"}, rows);
        }
        if (scale.isEmpty()) {
            p("_Instances sharing Redis: not run" + (notes.containsKey("Redis") ? " (no Redis)" : "") + "._");
            return;
        }
        Result first = scale.get(0);
        p("Instances sharing one Redis, " + first.scenario().threads() + " caller threads each, token lifetime "
                + first.scenario().lifetime().toSeconds() + " s, " + first.scenario().lifetimes() + " lifetimes, IdP latency "
                + first.scenario().latency().toMillis() + " ms:");
        List<String[]> s = new java.util.ArrayList<>();
        for (Result r : scale) {
            s.add(r.error() != null ? new String[] {Integer.toString(r.scenario().instances()), r.error(), "", "", "", "", ""}
                    : new String[] {Integer.toString(r.scenario().instances()), Long.toString(r.requests()),
                        f("%.2f", r.perLifetimePerHolder()), Long.toString(r.failed()), Long.toString(r.expired()),
                        Samples.human(r.latency().percentile(99)), Samples.human(r.latency().max())});
        }
        table(new String[] {"Instances", "IdP requests", "Requests per lifetime", "Failed calls", "Expired tokens served",
            "p99", "max"}, s);
    }

    private void storeLatency() {
        h("## 6. Store read/write latency");
        if (stores.isEmpty()) {
            p("_Not run._");
            return;
        }
        p(plan.storeOps() + " saves of distinct keys (a 200-byte sealed entry), then " + plan.storeOps() + " loads, one at a "
                + "time, after 50 unmeasured warm-up pairs. PostgreSQL and Redis are on loopback; H2 is embedded in the JVM.");
        List<String[]> rows = new java.util.ArrayList<>();
        for (Probes.StoreLatency s : stores) {
            rows.add(s.error() != null ? new String[] {s.store(), s.error(), "", "", "", "", ""}
                    : new String[] {s.store(), Samples.human(s.save().percentile(50)), Samples.human(s.save().percentile(99)),
                        Samples.human(s.save().max()), Samples.human(s.load().percentile(50)),
                        Samples.human(s.load().percentile(99)), Samples.human(s.load().max())});
        }
        table(new String[] {"Store", "save p50", "save p99", "save max", "load p50", "load p99", "load max"}, rows);
        for (Result r : stampede) {
            if (r.library() == Library.TK_POSTGRES && r.error() == null) {
                p(f("Requests per lifetime on PostgreSQL (section 2, %d instances): %d requests over %d lifetimes = %.2f.",
                        r.scenario().instances(), r.requests(), r.scenario().lifetimes(), r.perLifetimePerHolder()));
            }
        }
    }

    private void method() {
        h("## How it is measured");
        p("- **Token endpoint**: `FakeIdp` (module fake-idp, the one the tests and the demo use too), a Vert.x HTTP "
                + "server on `127.0.0.1` that answers every request after a fixed "
                + "latency with a new token, or with 503 during the outage window. IdP requests are counted there, not "
                + "taken from any library's statistics.");
        p("- **Expired tokens served**: each token's value carries the instant the IdP considers it expired; every token "
                + "a library hands to a caller is checked against the wall clock at the moment it is handed out.");
        p("- **Latency**: `System.nanoTime()` around each call, every sample kept and sorted (exact percentiles).");
        p("- **Same margins for every library** (token lifetime L): treat a token as expired L/20 before the IdP does; "
                + "where the library can refresh ahead, start 0.2 L before that. tokenkeeper: `ExpiryPolicy` with "
                + "`refreshAhead=0`, `refreshAheadFraction=0.2`, `clockSkew=L/20`, default jitter, proactive refresh on; "
                + "Spring: `ClientCredentialsOAuth2AuthorizedClientProvider.setClockSkew(L/20)` (it has no refresh-ahead); "
                + "google-auth: `expirationMargin=L/20`, `refreshMargin=0.25 L`; Caffeine: `expireAfterWrite=0.95 L`, "
                + "`refreshAfterWrite=0.75 L`. Everything else is each library's default.");
        p("- **One library instance per simulated application instance**, each with its own HTTP client (tokenkeeper: its own "
                + "Vert.x endpoint and store connection); callers pause " + plan.stampede().pace().toNanos() / 1000
                + " µs between calls. Spring uses its `RestClient` token client, google-auth an `OAuth2Credentials` whose "
                + "`refreshAccessToken` runs the client-credentials grant over google-http-client, Caffeine a `LoadingCache` "
                + "whose loader uses the JDK HTTP client.");
        p("- **Bounded**: JMH by its iteration counts; each simulation by its deadline and a cap on samples per caller; "
                + "callers still blocked inside a library call when a run ends are waited for at most "
                + Simulation.STRAGGLER_WAIT.toSeconds() + " s, then interrupted and reported.");
        p("Re-run: `benchmarks/run.sh` (full: its duration is the last bar above) or `benchmarks/run.sh --smoke` (about 2 min). "
                + "It builds this module with `./mvnw`, finds Redis and PostgreSQL on 127.0.0.1 (or `REDIS_URL` / `JDBC_URL` "
                + "naming a loopback host) and skips their rows with a note when absent.");
    }

    // ------------------------------------------------------------------------------------------

    private static String short_(Library l) {
        return switch (l) {
            case TK_MEMORY -> "memory";
            case TK_REDIS -> "Redis";
            case TK_POSTGRES -> "PostgreSQL";
            default -> l.label;
        };
    }

    private static String yes(boolean ok) {
        return ok ? "yes" : "**no**";
    }

    private void h(String s) {
        md.append(s).append("\n\n");
    }

    private void p(String s) {
        md.append(s).append("\n\n");
    }

    private void table(String[] head, List<String[]> rows) {
        md.append('|');
        for (String h : head) {
            md.append(' ').append(h).append(" |");
        }
        md.append("\n|");
        for (int i = 0; i < head.length; i++) {
            md.append(i == 0 ? " --- |" : " ---: |");
        }
        md.append('\n');
        for (String[] r : rows) {
            md.append('|');
            for (String c : r) {
                md.append(' ').append(c == null ? "" : c.replace("|", "\\|").replace("\n", " ")).append(" |");
            }
            md.append('\n');
        }
        md.append('\n');
    }

    private static String f(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }
}
