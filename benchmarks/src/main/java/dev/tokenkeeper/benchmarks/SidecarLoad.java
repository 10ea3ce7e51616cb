package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.runnable.sidecar.Sidecar;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sidecar under load: {@code connections} keep-alive connections, each sending its next request
 * as soon as the previous answer arrived (a closed loop), against {@code GET /token/{client}} and,
 * in the same run and the same server, against {@code GET /health/live}, a handler that answers a
 * constant (the floor). Rounds alternate between the two paths so that a burst of load hits both.
 */
final class SidecarLoad {

    /** The figures of one path. */
    record PathResult(String path, long requests, double seconds, Samples latency, long errors) {
        double rps() {
            return requests / seconds;
        }
    }

    /** Both paths of one run. */
    record Result(int connections, Duration round, int rounds, PathResult token, PathResult floor, String error) {}

    private SidecarLoad() {}

    static Result run(int connections, Duration warmup, Duration round, int rounds) {
        String bearer = "bench-sidecar-caller-secret";
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofHours(1))) {
            Settings settings = Settings.of(Map.of(
                    "clients.orders.token-url", idp.tokenUri().toString(),
                    "clients.orders.client-id", "bench-sidecar",
                    "clients.orders.client-secret", "bench-sidecar-secret",
                    "sidecar.port", "0",
                    "sidecar.token-endpoint.enabled", "true",
                    "sidecar.token-endpoint.secret-env", "BENCH_SIDECAR_SECRET"),
                    Map.of("BENCH_SIDECAR_SECRET", bearer), "benchmark");
            try (Sidecar sidecar = Sidecar.launch(TokenkeeperConfig.from(settings), InstantSource.system())) {
                Vertx vertx = Vertx.vertx();
                try {
                    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true)
                            .setDefaultHost("127.0.0.1").setDefaultPort(sidecar.port()),
                            new PoolOptions().setHttp1MaxSize(connections));
                    Map<String, String> tokenHeaders = Map.of("Authorization", "Bearer " + bearer);
                    Map<String, String> none = Map.of();
                    load(client, connections, "/token/orders", tokenHeaders, warmup, new Samples(), new AtomicLong());
                    load(client, connections, "/health/live", none, warmup, new Samples(), new AtomicLong());
                    Samples tokenLatency = new Samples();
                    Samples floorLatency = new Samples();
                    AtomicLong tokenErrors = new AtomicLong();
                    AtomicLong floorErrors = new AtomicLong();
                    long tokenCount = 0;
                    long floorCount = 0;
                    for (int i = 0; i < rounds; i++) {
                        tokenCount += load(client, connections, "/token/orders", tokenHeaders, round, tokenLatency, tokenErrors);
                        floorCount += load(client, connections, "/health/live", none, round, floorLatency, floorErrors);
                    }
                    double seconds = round.toMillis() / 1000.0 * rounds;
                    if (idp.requestCount() != 1) {
                        throw new IllegalStateException("expected one token request, the IdP saw " + idp.requestCount());
                    }
                    return new Result(connections, round, rounds,
                            new PathResult("/token/{client}", tokenCount, seconds, tokenLatency, tokenErrors.get()),
                            new PathResult("/health/live (floor)", floorCount, seconds, floorLatency, floorErrors.get()), null);
                } finally {
                    vertx.close().await(30, TimeUnit.SECONDS);
                }
            }
        } catch (Exception e) {
            return new Result(connections, round, rounds, null, null, e.toString());
        }
    }

    /** {@code connections} closed loops on {@code path} for {@code duration}; returns the answers counted. */
    private static long load(HttpClient client, int connections, String path, Map<String, String> headers, Duration duration,
            Samples latency, AtomicLong errors) throws InterruptedException {
        return ClosedLoops.run(() -> client.request(HttpMethod.GET, path), headers, connections, duration, latency, errors, path);
    }
}
