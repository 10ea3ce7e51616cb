package dev.tokenkeeper.runnable.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.fakeidp.FakeIdp.Response;
import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.testsupport.RequiredServers;
import dev.tokenkeeper.testsupport.RequiredServers.LocalRedis;
import dev.tokenkeeper.testsupport.SecretScanner;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Issue 13's operations kit under {@code ops/}, checked against the real thing: every metric the
 * Grafana dashboard and the Prometheus alert rules name is in the scrape of real sidecars that
 * acquired, failed, opened a breaker, contended for a lease over a shared Redis and lost that Redis;
 * the Kubernetes example's ConfigMap passes the project's configuration parser and its probes name
 * endpoints the sidecar answers.
 */
class OpsKitIT {

    static final Path OPS = Paths.get("..", "ops");
    static final Path DASHBOARD = OPS.resolve("grafana/tokenkeeper-dashboard.json");
    static final Path ALERTS = OPS.resolve("prometheus/tokenkeeper-alerts.yml");
    static final Path KUBERNETES = OPS.resolve("kubernetes/tokenkeeper-sidecar.yaml");
    /** A metric name in PromQL: the project's prefix, then the rest of an identifier. */
    static final Pattern METRIC = Pattern.compile("\\btokenkeeper_[a-zA-Z0-9_]+");
    /** A range function applied to a metric directly: its argument must be a counter's (or a histogram's) series. */
    static final Pattern RANGE_OF = Pattern.compile("\\b(rate|increase|irate)\\((tokenkeeper_[a-zA-Z0-9_]+)");

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    @DisplayName("every metric the dashboard and the alert rules name is in a real sidecar's scrape, with the right type")
    void everyMetricNamedExists() throws Exception {
        Map<String, String> named = new TreeMap<>(); // metric -> where it is named
        Set<String> ranged = new TreeSet<>();
        for (String expr : dashboardExpressions()) {
            collect(expr, "dashboard", named, ranged);
        }
        List<String> alertNames = new ArrayList<>();
        for (Map<String, Object> rule : alertRules()) {
            alertNames.add((String) rule.get("alert"));
            collect(String.valueOf(rule.get("expr")), "alert " + rule.get("alert"), named, ranged);
        }
        assertThat(alertNames).as("the alerts the issue asks for")
                .contains("TokenkeeperNoValidToken", "TokenkeeperBreakerOpen", "TokenkeeperRefreshesFailing",
                        "TokenkeeperTokenExpiringSoon", "TokenkeeperLeaseContention");
        assertThat(named).as("metric names found in the kit").hasSizeGreaterThanOrEqualTo(10);

        Scrape scrape = driveAndScrape();
        for (Map.Entry<String, String> e : named.entrySet()) {
            assertThat(scrape.samples).as("%s (named by the %s) in the sidecar's /metrics", e.getKey(), e.getValue())
                    .contains(e.getKey());
            String family = scrape.familyOf(e.getKey());
            String type = scrape.types.get(family);
            if (e.getKey().endsWith("_bucket")) {
                assertThat(type).as("%s is a histogram's bucket", e.getKey()).isEqualTo("histogram");
            }
        }
        for (String m : ranged) {
            String type = scrape.types.get(scrape.familyOf(m));
            assertThat(m.endsWith("_total") && "counter".equals(type)
                            || (m.endsWith("_bucket") || m.endsWith("_count") || m.endsWith("_sum"))
                                    && ("histogram".equals(type) || "summary".equals(type)))
                    .as("rate()/increase() of %s (type %s) needs a counter or a histogram's counter series", m, type)
                    .isTrue();
        }
    }

    @Test
    @DisplayName("the Kubernetes example: its ConfigMap passes the configuration parser, its probes name endpoints the sidecar serves")
    void kubernetesExample(@TempDir Path dir) throws Exception {
        List<Map<String, Object>> docs = yamlDocuments(KUBERNETES);
        Map<String, Map<String, Object>> byKind = new HashMap<>();
        docs.forEach(d -> byKind.put((String) d.get("kind"), d));
        assertThat(byKind).containsKeys("ConfigMap", "Secret", "Deployment");

        // the properties, as the sidecar container reads them
        String properties = (String) map(byKind.get("ConfigMap"), "data").get("tokenkeeper.properties");
        Properties p = new Properties();
        p.load(new StringReader(properties));
        Map<String, String> all = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> all.put(k, p.getProperty(k)));
        assertThat(all).containsKeys("clients.orders.client-secret-file", "sidecar.host", "sinks.orders.path");
        // the parser reads secret files: the Secret volume's files, in a directory standing in for its mount
        String secretMount = (String) mountOf(sidecarContainer(byKind), "secrets").get("mountPath");
        Path mounted = Files.createDirectories(dir.resolve("secret-volume"));
        Map<String, Object> secretData = map(byKind.get("Secret"), "stringData");
        for (Map.Entry<String, Object> e : secretData.entrySet()) {
            // the example's values are placeholders; a sealing key must be a real one to parse
            String value = e.getKey().equals("sealing-keys") ? SealingKeys.generateSpec("k1") : String.valueOf(e.getValue());
            Files.writeString(mounted.resolve(e.getKey()), value);
        }
        // and the token sink's directory: the shared emptyDir, in a directory standing in for its mount
        String tokensMount = (String) mountOf(sidecarContainer(byKind), "tokens").get("mountPath");
        Path tokensVolume = Files.createDirectories(dir.resolve("tokens-volume"));
        Map<String, String> known = new TreeMap<>();
        all.forEach((k, v) -> known.put(k, v.startsWith(secretMount + "/") ? mounted + v.substring(secretMount.length())
                : v.startsWith(tokensMount + "/") ? tokensVolume + v.substring(tokensMount.length()) : v));
        TokenkeeperConfig config = TokenkeeperConfig.from(Settings.of(known));
        assertThat(config.sinks()).containsOnlyKeys("orders");
        assertThat(config.clients()).containsOnlyKeys("orders");
        assertThat(config.sidecar().port()).isEqualTo(8787);
        assertThat(config.sidecar().tokenEndpointEnabled()).isFalse();

        // the Deployment: two containers, a shared token directory, the secret as a whole-volume mount, and probes
        Map<String, Object> pod = map(map(byKind.get("Deployment"), "spec", "template"), "spec");
        List<Map<String, Object>> containers = list(pod, "containers");
        assertThat(containers).extracting(c -> c.get("name")).containsExactly("app", "tokenkeeper");
        Map<String, Object> sidecar = containers.get(1);
        assertThat(String.valueOf(sidecar.get("args"))).isEqualTo("[--config, /etc/tokenkeeper/tokenkeeper.properties, serve]");
        String readyPath = (String) map(sidecar, "readinessProbe", "httpGet").get("path");
        String livePath = (String) map(sidecar, "livenessProbe", "httpGet").get("path");
        assertThat(readyPath).isEqualTo("/health/ready");
        assertThat(livePath).isEqualTo("/health/live");
        assertThat(map(sidecar, "readinessProbe", "httpGet").get("port")).isEqualTo("tokenkeeper");
        assertThat(list(sidecar, "ports")).anySatisfy(port -> {
            assertThat(port.get("name")).isEqualTo("tokenkeeper");
            assertThat(port.get("containerPort")).isEqualTo(config.sidecar().port());
        });
        Map<String, String> volumes = new HashMap<>();
        for (Map<String, Object> v : list(pod, "volumes")) {
            volumes.put((String) v.get("name"), v.containsKey("emptyDir") ? "emptyDir" : v.containsKey("secret") ? "secret"
                    : v.containsKey("configMap") ? "configMap" : "other");
        }
        assertThat(volumes).containsEntry("tokens", "emptyDir").containsEntry("secrets", "secret").containsEntry("config", "configMap");
        String sinkPath = all.get("sinks.orders.path");
        String secretFile = all.get("clients.orders.client-secret-file");
        assertThat(mountOf(sidecar, "tokens")).satisfies(m -> assertThat(sinkPath).startsWith(m.get("mountPath") + "/"));
        assertThat(mountOf(containers.get(0), "tokens")).satisfies(m -> assertThat(m.get("readOnly")).isEqualTo(true));
        assertThat(mountOf(sidecar, "secrets")).satisfies(m -> {
            assertThat(secretFile).startsWith(m.get("mountPath") + "/");
            assertThat(m).as("a subPath mount is never updated when the Secret rotates").doesNotContainKey("subPath");
        });
        assertThat(map(byKind.get("Secret"), "stringData"))
                .containsKey(secretFile.substring(secretFile.lastIndexOf('/') + 1))
                .containsKey(all.get("sealing.keys-file").substring(all.get("sealing.keys-file").lastIndexOf('/') + 1));
        assertThat(containers.get(0).toString()).as("the application never mounts the secret").doesNotContain("secrets");

        // the probe paths are answered by a sidecar run with the example's settings (pointed at loopback)
        Map<String, String> local = new TreeMap<>(known);
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofHours(1))) {
            Path secret = Files.writeString(dir.resolve("orders-client-secret"), "k8s-example-secret-" + UUID.randomUUID());
            local.put("clients.orders.token-url", idp.tokenUri().toString());
            local.put("clients.orders.allow-insecure-http", "true");
            local.put("clients.orders.client-secret-file", secret.toString());
            local.put("store.type", "memory");
            local.remove("store.url");
            local.remove("sealing.keys-file");
            local.put("sidecar.host", "127.0.0.1");
            local.put("sidecar.port", "0");
            try (Sidecar s = Sidecar.launch(TokenkeeperConfig.from(Settings.of(local)), InstantSource.system())) {
                for (String path : List.of(readyPath, livePath, "/metrics", "/")) {
                    Await.until(path + " answers 200", () -> get(s, path).statusCode() == 200);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Driving real sidecars

    /**
     * Two sidecars over one private Redis with three clients: "alpha" (a slow IdP, so that the
     * second sidecar loses the lease to the first), "beta" (refused: a failure) and "gamma" (503s
     * until its breaker opens); then Redis dies and a new scope of alpha is asked for (store failures).
     * Returns both scrapes merged.
     */
    Scrape driveAndScrape() throws Exception {
        LocalRedis redis = LocalRedis.startPrivate();
        if (redis == null) {
            String message = "needs a redis-server binary on the PATH to run a private Redis (apt-get install redis-server)";
            if (RequiredServers.required()) {
                Assertions.fail(message);
            }
            Assumptions.abort(message);
        }
        SecretScanner scanner = new SecretScanner();
        String secret = scanner.secret("ops-kit-secret-" + UUID.randomUUID());
        try (redis;
                scanner;
                FakeIdp alphaIdp = FakeIdp.start().issueTokens(Duration.ofMinutes(30)).latency(Duration.ofMillis(1500));
                FakeIdp betaIdp = FakeIdp.start().alwaysRespond(Response.json(401, "{\"error\":\"invalid_client\"}"));
                FakeIdp gammaIdp = FakeIdp.start().alwaysRespond(Response.status(503))) {
            Map<String, String> settings = new TreeMap<>(Map.of(
                    "clients.alpha.token-url", alphaIdp.tokenUri().toString(),
                    "clients.alpha.client-id", "alpha",
                    "clients.alpha.client-secret", secret,
                    "clients.beta.token-url", betaIdp.tokenUri().toString(),
                    "clients.beta.client-id", "beta",
                    "clients.beta.client-secret", secret,
                    "clients.gamma.token-url", gammaIdp.tokenUri().toString(),
                    "clients.gamma.client-id", "gamma",
                    "clients.gamma.client-secret", secret));
            settings.putAll(Map.of(
                    "store.type", "redis",
                    "store.url", redis.uri().toString(),
                    "sealing.keys", SealingKeys.generateSpec("k1"),
                    "resilience.attempts", "2", // gamma's first attempt fails and is retried: an attempt failure
                    "resilience.retry-base-delay", "10ms",
                    "breaker.failures", "2",
                    "breaker.open-delay", "10m",
                    "sidecar.port", "0"));
            TokenkeeperConfig config = TokenkeeperConfig.from(Settings.of(settings));
            // keep-warm asks for every token at start: the first sidecar takes alpha's lease, the
            // second (started while the first one's slow grant runs) loses it and waits for the token
            try (Sidecar first = Sidecar.launch(config, InstantSource.system());
                    Sidecar second = Sidecar.launch(config, InstantSource.system())) {
                TokenKey alpha = first.tokenkeeper().key("alpha");
                TokenKey gamma = first.tokenkeeper().key("gamma");
                Await.until("both sidecars hold alpha's token", Duration.ofSeconds(30), () ->
                        first.tokenkeeper().provider().status(alpha).isValid() && second.tokenkeeper().provider().status(alpha).isValid());
                for (int i = 0; i < 2; i++) { // keep-warm failed once; two more open the breaker
                    first.tokenkeeper().provider().tokenAsync(gamma).toCompletableFuture().handle((t, e) -> null).get(10, TimeUnit.SECONDS);
                }
                Await.until("gamma's breaker is open", () -> scrape(first).contains("tokenkeeper_circuit_transitions_total"));
                redis.kill();
                TokenKey otherScope = ScopedKeys.withScope(alpha, "another.scope");
                first.tokenkeeper().provider().tokenAsync(otherScope).toCompletableFuture().handle((t, e) -> null)
                        .get(30, TimeUnit.SECONDS);
                Await.until("the dead store is counted", Duration.ofSeconds(20),
                        () -> scrape(first).contains("tokenkeeper_store_failures_total{"));
                Await.until("the success events are counted", () -> scrape(second).contains("tokenkeeper_acquisition_latency_seconds_bucket"));
                String a = scrape(first);
                String b = scrape(second);
                assertThat(a + b).as("the lease was contended").contains("outcome=\"lost\"").contains("outcome=\"won\"");
                scanner.seen(a);
                scanner.seen(b);
                for (String token : alphaIdp.issuedTokens()) {
                    assertThat(a + b).doesNotContain(token);
                }
                scanner.assertClean();
                return Scrape.parse(a + "\n" + b);
            }
        }
    }

    String scrape(Sidecar s) {
        return get(s, "/metrics").body();
    }

    HttpResponse<String> get(Sidecar s, String path) {
        try {
            return http.send(HttpRequest.newBuilder(s.uri().resolve(path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The sample names and family types of a Prometheus text scrape. */
    record Scrape(Set<String> samples, Map<String, String> types) {
        static Scrape parse(String text) {
            Set<String> samples = new TreeSet<>();
            Map<String, String> types = new HashMap<>();
            for (String line : text.split("\n")) {
                if (line.startsWith("# TYPE ")) {
                    String[] parts = line.split(" ");
                    types.put(parts[2], parts[3]);
                } else if (!line.isBlank() && !line.startsWith("#")) {
                    Matcher m = Pattern.compile("^[a-zA-Z_:][a-zA-Z0-9_:]*").matcher(line);
                    if (m.find()) {
                        samples.add(m.group());
                    }
                }
            }
            return new Scrape(samples, types);
        }

        /** The family a sample belongs to: itself, or without a histogram's or summary's suffix. */
        String familyOf(String sample) {
            if (types.containsKey(sample)) {
                return sample;
            }
            for (String suffix : List.of("_bucket", "_count", "_sum", "_max", "_total")) {
                if (sample.endsWith(suffix) && types.containsKey(sample.substring(0, sample.length() - suffix.length()))) {
                    return sample.substring(0, sample.length() - suffix.length());
                }
            }
            return sample;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Reading the kit

    static List<String> dashboardExpressions() throws IOException {
        JsonObject dashboard = new JsonObject(Files.readString(DASHBOARD));
        List<String> exprs = new ArrayList<>();
        collectExprs(dashboard, exprs);
        assertThat(exprs).as("expressions in the dashboard").hasSizeGreaterThanOrEqualTo(10);
        return exprs;
    }

    /** Every {@code expr} and every templating {@code query}/{@code definition}, anywhere in the document. */
    static void collectExprs(Object node, List<String> out) {
        if (node instanceof JsonObject o) {
            for (String key : o.fieldNames()) {
                Object v = o.getValue(key);
                if (v instanceof String s && (key.equals("expr") || key.equals("definition") || key.equals("query"))) {
                    out.add(s);
                } else {
                    collectExprs(v, out);
                }
            }
        } else if (node instanceof JsonArray a) {
            a.forEach(v -> collectExprs(v, out));
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> alertRules() throws IOException {
        Map<String, Object> doc = yamlDocuments(ALERTS).get(0);
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) doc.get("groups")) {
            rules.addAll((List<Map<String, Object>>) group.get("rules"));
        }
        for (Map<String, Object> rule : rules) {
            assertThat(rule).as("an alert rule").containsKeys("alert", "expr", "labels", "annotations");
            assertThat(map(rule, "labels")).containsKey("severity");
        }
        return rules;
    }

    static void collect(String expr, String where, Map<String, String> named, Set<String> ranged) {
        Matcher m = METRIC.matcher(expr);
        while (m.find()) {
            named.putIfAbsent(m.group(), where);
        }
        Matcher r = RANGE_OF.matcher(expr);
        while (r.find()) {
            ranged.add(r.group(2));
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> yamlDocuments(Path file) throws IOException {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object d : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(Files.readString(file))) {
            if (d != null) {
                docs.add((Map<String, Object>) d);
            }
        }
        return docs;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> m, String... path) {
        Map<String, Object> at = m;
        for (String key : path) {
            assertThat(at).as("has " + key).containsKey(key);
            at = (Map<String, Object>) at.get(key);
        }
        return at;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> m, String key) {
        assertThat(m).as("has " + key).containsKey(key);
        return (List<Map<String, Object>>) m.get(key);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> sidecarContainer(Map<String, Map<String, Object>> byKind) {
        return list(map(map(byKind.get("Deployment"), "spec", "template"), "spec"), "containers").stream()
                .filter(c -> "tokenkeeper".equals(c.get("name"))).findFirst().orElseThrow();
    }

    static Map<String, Object> mountOf(Map<String, Object> container, String volume) {
        return list(container, "volumeMounts").stream().filter(v -> volume.equals(v.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError(container.get("name") + " mounts no volume " + volume));
    }
}
