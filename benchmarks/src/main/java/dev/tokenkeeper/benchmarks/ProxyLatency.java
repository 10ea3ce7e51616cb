package dev.tokenkeeper.benchmarks;

import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.runnable.sidecar.Sidecar;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The injecting proxy's added latency: the same GET to one loopback upstream (a Vert.x server that
 * checks the {@code Authorization} header and answers a 200 of 1 KiB), sent directly and through a
 * proxy route of the sidecar, by {@code connections} keep-alive closed loops, in alternating rounds
 * of the same run so that a burst of load hits both. The direct call carries a fixed bearer header,
 * so both answers are the same bytes.
 */
final class ProxyLatency {

    /** The figures of one path. */
    record PathResult(String path, long requests, double seconds, Samples latency, long errors) {
        double rps() {
            return requests / seconds;
        }
    }

    /** Both paths of one run. */
    record Result(int connections, Duration round, int rounds, PathResult direct, PathResult proxied, String error) {
        /** p50 through the proxy ÷ p50 direct. */
        double p50Ratio() {
            return proxied.latency().percentile(50) / (double) direct.latency().percentile(50);
        }

        /** What the proxy adds at p50, in nanoseconds. */
        long addedP50() {
            return proxied.latency().percentile(50) - direct.latency().percentile(50);
        }
    }

    private ProxyLatency() {}

    /** Full: 8 connections, 3 s warm-up per path, 4 rounds of 3 s per path (about 30 s); smoke: 1 round of 1 s. */
    static Result run(boolean smoke) {
        return run(8, Duration.ofSeconds(smoke ? 1 : 3), Duration.ofSeconds(smoke ? 1 : 3), smoke ? 1 : 4);
    }

    static Result run(int connections, Duration warmup, Duration round, int rounds) {
        Vertx vertx = Vertx.vertx();
        try (FakeIdp idp = FakeIdp.start(vertx).issueTokens(Duration.ofHours(1))) {
            Buffer answer = Buffer.buffer(new byte[1024]);
            HttpServer upstream = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
                    .setHttp2ClearTextEnabled(false)).requestHandler(req -> {
                        String auth = req.getHeader("Authorization");
                        req.response().setStatusCode(auth != null && auth.startsWith("Bearer ") ? 200 : 401).end(answer);
                    });
            upstream.listen().await(10, TimeUnit.SECONDS);
            Settings settings = Settings.of(Map.of(
                    "clients.orders.token-url", idp.tokenUri().toString(),
                    "clients.orders.client-id", "bench-proxy",
                    "clients.orders.client-secret", "bench-proxy-secret",
                    "sidecar.port", "0",
                    "sidecar.shutdown-grace", "1s",
                    "proxy.orders.listen", "0",
                    "proxy.orders.upstream", "http://127.0.0.1:" + upstream.actualPort(),
                    "proxy.orders.client", "orders"), Map.of(), "benchmark");
            try (Sidecar sidecar = Sidecar.launch(TokenkeeperConfig.from(settings), InstantSource.system())) {
                int proxyPort = sidecar.proxies().route("orders").port();
                HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                        new PoolOptions().setHttp1MaxSize(connections));
                Target direct = new Target(upstream.actualPort(), Map.of("Authorization", "Bearer bench-direct-token"));
                Target proxied = new Target(proxyPort, Map.of());
                load(client, connections, direct, warmup, new Samples(), new AtomicLong());
                load(client, connections, proxied, warmup, new Samples(), new AtomicLong());
                Samples directLatency = new Samples();
                Samples proxiedLatency = new Samples();
                AtomicLong directErrors = new AtomicLong();
                AtomicLong proxiedErrors = new AtomicLong();
                long directCount = 0;
                long proxiedCount = 0;
                for (int i = 0; i < rounds; i++) {
                    directCount += load(client, connections, direct, round, directLatency, directErrors);
                    proxiedCount += load(client, connections, proxied, round, proxiedLatency, proxiedErrors);
                }
                if (idp.requestCount() != 1) {
                    throw new IllegalStateException("expected one token request, the IdP saw " + idp.requestCount());
                }
                double seconds = round.toMillis() / 1000.0 * rounds;
                client.close().await(10, TimeUnit.SECONDS);
                return new Result(connections, round, rounds,
                        new PathResult("direct to the upstream", directCount, seconds, directLatency, directErrors.get()),
                        new PathResult("through the proxy", proxiedCount, seconds, proxiedLatency, proxiedErrors.get()), null);
            }
        } catch (Exception e) {
            return new Result(connections, round, rounds, null, null, e.toString());
        } finally {
            try {
                vertx.close().await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                // the figures are taken; a slow close changes none of them
            }
        }
    }

    private record Target(int port, Map<String, String> headers) {}

    /** {@code connections} closed loops on {@code target} for {@code duration}; returns the answers counted. */
    private static long load(HttpClient client, int connections, Target target, Duration duration, Samples latency,
            AtomicLong errors) throws InterruptedException {
        return ClosedLoops.run(() -> client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
                .setPort(target.port()).setURI("/orders?page=1")), target.headers(), connections, duration, latency, errors,
                "port " + target.port());
    }
}
