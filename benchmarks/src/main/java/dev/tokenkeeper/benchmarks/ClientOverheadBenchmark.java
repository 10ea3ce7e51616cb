package dev.tokenkeeper.benchmarks;

import com.sun.net.httpserver.HttpServer;
import dev.tokenkeeper.adapter.http.AuthenticatedWebClient;
import dev.tokenkeeper.adapter.http.VertxTokenEndpoint;
import dev.tokenkeeper.adapter.store.memory.MemoryTokenStore;
import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.integration.client.jdk.AuthenticatedHttpClient;
import dev.tokenkeeper.integration.client.okhttp.TokenInterceptor;
import dev.tokenkeeper.integration.client.spring.TokenExchangeFilter;
import dev.tokenkeeper.integration.client.spring.TokenRequestInterceptor;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.http.client.reactive.JdkClientHttpConnector;
import org.springframework.web.client.RestClient;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * What an HTTP client integration adds to one request: the same GET to a loopback server
 * (answering 200 with two bytes, over a kept-alive connection) sent plainly and through the
 * integration, which adds a cached token (a near-cache hit of a real {@link TokenManager} whose
 * token came from a {@link FakeIdp}). Compare each pair's means in one run (the ratio), never across
 * machines. Spring's {@code RestClient} and {@code WebClient} run on the JDK's HTTP client (their
 * JDK request factory and connector), the Vert.x pair on one Vert.x {@code WebClient}; each pair
 * shares its client (and so its connection pool), the authenticated one only adds the integration.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class ClientOverheadBenchmark {

    /** A bound on one request's wait, so that a broken server fails the run instead of hanging it. */
    private static final Duration WAIT = Duration.ofSeconds(10);

    private FakeIdp idp;
    private TokenManager manager;
    private VertxTokenEndpoint endpoint;
    private HttpServer server;
    private ExecutorService serverThreads;
    private URI uri;
    private HttpRequest jdkRequest;
    private HttpClient jdkPlain;
    private HttpClient jdkAuthenticated;
    private Request okRequest;
    private OkHttpClient okPlain;
    private OkHttpClient okAuthenticated;
    private HttpClient springHttp;
    private RestClient restPlain;
    private RestClient restAuthenticated;
    private WebClient webPlain;
    private WebClient webAuthenticated;
    private Vertx vertx;
    private io.vertx.ext.web.client.WebClient vertxPlain;
    private AuthenticatedWebClient vertxAuthenticated;

    @Setup(Level.Trial)
    public void start() throws IOException {
        idp = FakeIdp.start().issueTokens(Duration.ofHours(1));
        endpoint = VertxTokenEndpoint.builder(idp.tokenUri(), "bench", Secret.of("bench-secret")).allowInsecureHttp(true).build();
        manager = TokenManager.builder().client("bench", endpoint).store(new MemoryTokenStore()).build();
        TokenKey key = TokenKey.of("bench");
        manager.token(key); // warm: every measured request is a near-cache hit
        // without it the JDK server's header and body writes meet Nagle and delayed ACK: ~40 ms a request
        System.setProperty("sun.net.httpserver.nodelay", "true");
        serverThreads = Executors.newFixedThreadPool(2);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/", exchange -> {
            try (exchange; OutputStream out = exchange.getResponseBody()) {
                exchange.getRequestBody().readAllBytes();
                exchange.sendResponseHeaders(200, 2);
                out.write(new byte[] {'o', 'k'});
            }
        });
        server.setExecutor(serverThreads);
        server.start();
        uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api");
        jdkRequest = HttpRequest.newBuilder(uri).build();
        jdkPlain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        jdkAuthenticated = AuthenticatedHttpClient.builder(jdkPlain, manager, key).build();
        okRequest = new Request.Builder().url(uri.toString()).build();
        okPlain = new OkHttpClient();
        okAuthenticated = okPlain.newBuilder().addInterceptor(TokenInterceptor.of(manager, key)).build();
        springHttp = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        restPlain = RestClient.builder().requestFactory(new JdkClientHttpRequestFactory(springHttp)).build();
        restAuthenticated = restPlain.mutate().requestInterceptor(TokenRequestInterceptor.of(manager, key)).build();
        webPlain = WebClient.builder().clientConnector(new JdkClientHttpConnector(springHttp)).build();
        webAuthenticated = webPlain.mutate().filter(TokenExchangeFilter.of(manager, key)).build();
        vertx = Vertx.vertx();
        vertxPlain = io.vertx.ext.web.client.WebClient.create(vertx, new WebClientOptions().setKeepAlive(true));
        vertxAuthenticated = AuthenticatedWebClient.builder(vertxPlain, manager, key).build();
    }

    @TearDown(Level.Trial)
    public void stop() {
        okPlain.dispatcher().executorService().shutdown();
        okPlain.connectionPool().evictAll();
        vertxPlain.close();
        vertx.close().toCompletionStage().toCompletableFuture().join();
        server.stop(0);
        serverThreads.shutdownNow();
        manager.close();
        endpoint.close();
        idp.close();
    }

    @Benchmark
    public int jdkPlain() throws Exception {
        return jdkPlain.send(jdkRequest, HttpResponse.BodyHandlers.ofByteArray()).body().length;
    }

    @Benchmark
    public int jdkAuthenticated() throws Exception {
        return jdkAuthenticated.send(jdkRequest, HttpResponse.BodyHandlers.ofByteArray()).body().length;
    }

    @Benchmark
    public int okhttpPlain() throws IOException {
        try (Response r = okPlain.newCall(okRequest).execute()) {
            return r.body().bytes().length;
        }
    }

    @Benchmark
    public int okhttpAuthenticated() throws IOException {
        try (Response r = okAuthenticated.newCall(okRequest).execute()) {
            return r.body().bytes().length;
        }
    }

    @Benchmark
    public int restClientPlain() {
        return restPlain.get().uri(uri).retrieve().body(byte[].class).length;
    }

    @Benchmark
    public int restClientAuthenticated() {
        return restAuthenticated.get().uri(uri).retrieve().body(byte[].class).length;
    }

    @Benchmark
    public int webClientPlain() {
        return webPlain.get().uri(uri).retrieve().bodyToMono(byte[].class).block(WAIT).length;
    }

    @Benchmark
    public int webClientAuthenticated() {
        return webAuthenticated.get().uri(uri).retrieve().bodyToMono(byte[].class).block(WAIT).length;
    }

    @Benchmark
    public int vertxPlain() throws Exception {
        return vertxPlain.getAbs(uri.toString()).send().toCompletionStage().toCompletableFuture()
                .get(WAIT.toMillis(), TimeUnit.MILLISECONDS).body().length();
    }

    @Benchmark
    public int vertxAuthenticated() throws Exception {
        return vertxAuthenticated.get(uri.toString()).toCompletionStage().toCompletableFuture()
                .get(WAIT.toMillis(), TimeUnit.MILLISECONDS).body().length();
    }
}
