package dev.tokenkeeper.runnable.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.testsupport.RequiredServers;
import dev.tokenkeeper.testsupport.SecretScanner;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PfxOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The injecting proxy ({@code proxy.<route>.*}) started by the sidecar, against real loopback
 * servers: an IdP ({@link FakeIdp}, which counts token requests), a resource server that accepts
 * only tokens the IdP issued and the test has not revoked (and counts what reaches it), a second
 * origin, and an HTTPS upstream with a certificate made by {@code keytool} for this run. Every log
 * line, answer body and exception is scanned for the tokens issued and the client secret.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InjectingProxyIT {

    final SecretScanner scanner = new SecretScanner();
    final CapturedLogs logs = new CapturedLogs();
    final String clientSecret = scanner.secret("proxy-client-secret-" + UUID.randomUUID());
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final Vertx vertx = Vertx.vertx();
    FakeIdp idp;
    Upstream api;
    Upstream other;
    Upstream tls;
    Path trustFile;
    Sidecar sidecar;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        idp = FakeIdp.start(vertx).issueTokens(Duration.ofHours(1));
        api = new Upstream(null);
        other = new Upstream(null);
        Path keystore = dir.resolve("upstream.p12");
        trustFile = dir.resolve("upstream-ca.pem");
        selfSignedFor("localhost", keystore, trustFile);
        tls = new Upstream(new PfxOptions().setPath(keystore.toString()).setPassword("changeit"));
        int closedPort = RequiredServers.freePort(); // nothing listens there
        Map<String, String> s = new LinkedHashMap<>();
        s.put("clients.orders.token-url", idp.tokenUri().toString());
        s.put("clients.orders.client-id", "orders-client");
        s.put("clients.orders.client-secret", clientSecret);
        s.put("sidecar.port", "0");
        s.put("sidecar.keep-warm", "false"); // every token request is one the proxy caused
        s.put("sidecar.shutdown-grace", "1s"); // the test client keeps its connections open: the stop waits this long
        s.put("clients.bound.token-url", idp.tokenUri().toString());
        s.put("clients.bound.client-id", "bound-client");
        s.put("clients.bound.client-secret", clientSecret);
        s.put("clients.bound.dpop", "true");
        route(s, "api", "http://127.0.0.1:" + api.port() + "/base");
        route(s, "dpop", "http://127.0.0.1:" + api.port());
        s.put("proxy.dpop.client", "bound");
        route(s, "down", "http://127.0.0.1:" + closedPort);
        route(s, "slow", "http://127.0.0.1:" + api.port());
        s.put("proxy.slow.timeout", "1s");
        route(s, "tls", "https://localhost:" + tls.port());
        s.put("proxy.tls.trust-file", trustFile.toString());
        route(s, "untrusted", "https://localhost:" + tls.port()); // the JVM's trust store: not this certificate
        route(s, "wronghost", "https://127.0.0.1:" + tls.port()); // trusted, but the certificate names localhost only
        s.put("proxy.wronghost.trust-file", trustFile.toString());
        sidecar = Sidecar.launch(TokenkeeperConfig.from(Settings.of(s)), InstantSource.system());
    }

    private static void route(Map<String, String> s, String name, String upstream) {
        s.put("proxy." + name + ".listen", "0");
        s.put("proxy." + name + ".upstream", upstream);
        s.put("proxy." + name + ".client", "orders");
    }

    /** Every token the IdP issued in this run, oldest first (its own list is cleared with its counts). */
    final List<String> everIssued = new CopyOnWriteArrayList<>();

    List<String> issued() {
        synchronized (everIssued) {
            for (String t : idp.issuedTokens()) {
                if (!everIssued.contains(t)) {
                    everIssued.add(t);
                }
            }
        }
        return everIssued;
    }

    void resetIdp() {
        issued();
        idp.resetCounts();
    }

    @BeforeEach
    void clean() {
        // each test starts without a token held: its first request makes exactly one token request
        var tk = sidecar.tokenkeeper();
        tk.provider().invalidate(tk.key("orders"), tk.provider().token(tk.key("orders")));
        resetIdp();
        api.seen.clear();
        api.hangsClosed.set(0);
        other.seen.clear();
        tls.seen.clear();
    }

    @AfterAll
    void stop() {
        try {
            if (sidecar != null) {
                sidecar.close();
            }
            List<String> secrets = new ArrayList<>(issued());
            secrets.addAll(dpopTokens);
            secrets.add(clientSecret);
            secrets.forEach(scanner::secret);
            logs.assertNoneOf(secrets);
            scanner.assertClean();
        } finally {
            logs.close();
            scanner.close();
            idp.close();
            vertx.close().await();
        }
    }

    URI proxy(String route, String pathAndQuery) {
        return sidecar.proxies().route(route).uri().resolve(pathAndQuery);
    }

    HttpResponse<byte[]> send(HttpRequest request) throws Exception {
        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        logs.saw(new String(r.body(), StandardCharsets.ISO_8859_1).substring(0, Math.min(r.body().length, 4096)));
        logs.saw(r.headers().toString());
        return r;
    }

    String lastToken() {
        List<String> all = issued();
        return all.get(all.size() - 1);
    }

    @Nested
    @DisplayName("forwarding")
    class Forwarding {

        @Test
        @DisplayName("a GET reaches the upstream under its base path with the token, the upstream's Host, and none of "
                + "the caller's credentials or hop-by-hop headers")
        void get() throws Exception {
            HttpResponse<byte[]> r = send(HttpRequest.newBuilder(proxy("api", "/orders?page=2&q=a%20b"))
                    .header("Authorization", "Bearer the-callers-own")
                    .header("X-Request-Id", "r-1").GET().build());
            assertThat(r.statusCode()).isEqualTo(200);
            Seen seen = api.only();
            assertThat(seen.uri()).isEqualTo("/base/orders?page=2&q=a%20b");
            assertThat(seen.authorization()).isEqualTo("Bearer " + lastToken());
            assertThat(seen.header("host")).isEqualTo("127.0.0.1:" + api.port());
            assertThat(seen.header("x-request-id")).isEqualTo("r-1");
            assertThat(idp.requestCount()).isEqualTo(1);
            JsonObject body = new JsonObject(new String(r.body(), StandardCharsets.UTF_8));
            assertThat(body.getString("path")).isEqualTo("/base/orders");
        }

        @Test
        @DisplayName("hop-by-hop headers, those Connection names, DPoP and Proxy-Authorization stop at the proxy")
        void hopByHop() throws Exception {
            String raw = rawRequest(sidecar.proxies().route("api").port(), "GET /hop HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\n"
                    + "Connection: close, X-Private\r\n"
                    + "X-Private: no\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic abc\r\n"
                    + "DPoP: not-a-proof\r\nX-Kept: yes\r\n\r\n");
            assertThat(raw).startsWith("HTTP/1.1 200");
            Seen seen = api.only();
            assertThat(seen.headers().keySet()).doesNotContain("x-private", "keep-alive", "te", "proxy-authorization", "dpop")
                    .contains("x-kept");
            assertThat(seen.header("connection")).isNotEqualTo("close, X-Private");
        }

        @Test
        @DisplayName("a 5 MB POST is streamed to the upstream and its 5 MB echo back, byte for byte (known length and chunked)")
        void bigBodies() throws Exception {
            byte[] data = new byte[5 * 1024 * 1024];
            new Random(13).nextBytes(data);
            HttpResponse<byte[]> known = send(HttpRequest.newBuilder(proxy("api", "/echo"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(data)).build());
            assertThat(known.statusCode()).isEqualTo(200);
            assertThat(sha256(known.body())).isEqualTo(sha256(data));
            HttpResponse<byte[]> chunked = send(HttpRequest.newBuilder(proxy("api", "/echo"))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(data))).build());
            assertThat(chunked.statusCode()).isEqualTo(200);
            assertThat(sha256(chunked.body())).isEqualTo(sha256(data));
            assertThat(api.seen).hasSize(2);
            assertThat(api.seen.get(0).header("content-length")).isEqualTo(Integer.toString(data.length));
            assertThat(api.seen.get(1).header("transfer-encoding")).isEqualTo("chunked");
            assertThat(api.seen.get(1).bodyLength()).isEqualTo(data.length);
        }

        @Test
        @DisplayName("a Host that does not name this machine gets 421 and reaches nothing (DNS rebinding)")
        void foreignHost() throws Exception {
            String raw = rawRequest(sidecar.proxies().route("api").port(), "GET /orders HTTP/1.1\r\nHost: evil.example\r\n"
                    + "Connection: close\r\n\r\n");
            assertThat(raw).startsWith("HTTP/1.1 421").contains("misdirected_request");
            assertThat(api.seen).isEmpty();
            assertThat(idp.requestCount()).isZero();
        }
    }

    @Nested
    @DisplayName("a rejected token")
    class Rejected {

        @Test
        @DisplayName("a revoked token is replaced and a buffered POST replayed exactly once: one new token, two upstream requests")
        void replayedOnce() throws Exception {
            assertThat(send(HttpRequest.newBuilder(proxy("api", "/orders")).build()).statusCode()).isEqualTo(200);
            String revoked = lastToken();
            api.revoked.add(revoked);
            api.seen.clear();
            resetIdp();

            HttpResponse<byte[]> r = send(HttpRequest.newBuilder(proxy("api", "/echo"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"item\":42}")).build());

            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("{\"item\":42}");
            assertThat(idp.requestCount()).isEqualTo(1);
            assertThat(api.seen).hasSize(2);
            assertThat(api.seen.get(0).authorization()).isEqualTo("Bearer " + revoked);
            assertThat(api.seen.get(1).authorization()).isEqualTo("Bearer " + lastToken()).isNotEqualTo("Bearer " + revoked);
            assertThat(api.seen.get(1).bodyLength()).isEqualTo(11);
        }

        @Test
        @DisplayName("a streamed body larger than the replay buffer is not replayed: the 401 reaches the caller, and the "
                + "next request has a new token")
        void streamedNotReplayed() throws Exception {
            assertThat(send(HttpRequest.newBuilder(proxy("api", "/orders")).build()).statusCode()).isEqualTo(200);
            api.revoked.add(lastToken());
            api.seen.clear();
            resetIdp();
            byte[] data = new byte[200 * 1024]; // > 64 KiB, of unknown length: chunked
            HttpResponse<byte[]> r = send(HttpRequest.newBuilder(proxy("api", "/echo"))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(data))).build());

            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).contains("invalid_token"));
            assertThat(api.seen).hasSize(1);
            assertThat(api.seen.get(0).bodyLength()).isEqualTo(data.length);

            assertThat(send(HttpRequest.newBuilder(proxy("api", "/orders")).build()).statusCode()).isEqualTo(200);
            assertThat(idp.requestCount()).isEqualTo(1); // the rejected token was dropped: the next request got a new one
            assertThat(api.seen).hasSize(2);
        }

        @Test
        @DisplayName("a 403 is the caller's answer: no new token, no replay")
        void forbiddenNotReplayed() throws Exception {
            assertThat(send(HttpRequest.newBuilder(proxy("api", "/orders")).build()).statusCode()).isEqualTo(200);
            api.seen.clear();
            resetIdp();
            HttpResponse<byte[]> r = send(HttpRequest.newBuilder(proxy("api", "/forbidden")).build());
            assertThat(r.statusCode()).isEqualTo(403);
            assertThat(api.seen).hasSize(1);
            assertThat(idp.requestCount()).isZero();
        }
    }

    @Nested
    @DisplayName("redirects and failures")
    class Failures {

        @Test
        @DisplayName("a redirect to another origin is passed back unchanged; the other origin never sees the token")
        void redirect() throws Exception {
            String elsewhere = "http://127.0.0.1:" + other.port() + "/collect";
            HttpResponse<byte[]> r = send(HttpRequest.newBuilder(proxy("api", "/redirect?to=" + elsewhere)).build());
            assertThat(r.statusCode()).isEqualTo(302);
            assertThat(r.headers().firstValue("Location")).contains(elsewhere);
            assertThat(api.seen).hasSize(1);
            assertThat(other.seen).isEmpty();
            // a caller that follows it goes there itself, without the token
            HttpClient following = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
            assertThat(following.send(HttpRequest.newBuilder(proxy("api", "/redirect?to=" + elsewhere)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            assertThat(other.seen).hasSize(1);
            assertThat(other.seen.get(0).authorization()).isNull();
        }

        @Test
        @DisplayName("a caller that leaves before the answer: its upstream request is reset at once, not held until the timeout")
        void callerLeaves() throws Exception {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), sidecar.proxies().route("api").port())) {
                socket.getOutputStream().write("GET /hang HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                // real time: the request travels over real sockets to the upstream
                Await.until("the upstream holds the request", Duration.ofSeconds(10), () -> api.seen.size() == 1);
            }
            // real time: the reset travels back over the upstream's socket (the route's timeout is 30 s)
            Await.until("the upstream's connection is closed", Duration.ofSeconds(10), () -> api.hangsClosed.get() == 1);
        }

        @Test
        @DisplayName("an upstream that refuses connections: 502 with a clear body")
        void upstreamDown() throws Exception {
            HttpResponse<byte[]> r = send(HttpRequest.newBuilder(proxy("down", "/orders")).build());
            assertThat(r.statusCode()).isEqualTo(502);
            JsonObject body = new JsonObject(new String(r.body(), StandardCharsets.UTF_8));
            assertThat(body.getString("error")).isEqualTo("upstream_unreachable");
            assertThat(body.getString("message")).contains("cannot be reached").contains("127.0.0.1");
            assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
        }

        @Test
        @DisplayName("an upstream silent for longer than the route's timeout: 504")
        void upstreamSilent() throws Exception {
            // real time: the route's timeout (1 s) must pass on the upstream's real socket
            HttpResponse<byte[]> r = send(HttpRequest.newBuilder(proxy("slow", "/hang")).timeout(Duration.ofSeconds(20)).build());
            assertThat(r.statusCode()).isEqualTo(504);
            assertThat(new JsonObject(new String(r.body(), StandardCharsets.UTF_8)).getString("error")).isEqualTo("upstream_timeout");
        }
    }

    @Nested
    @DisplayName("TLS to the upstream")
    class Tls {

        @Test
        @DisplayName("an https upstream whose certificate the trust file holds is reached with the token")
        void trusted() throws Exception {
            HttpResponse<byte[]> r = send(HttpRequest.newBuilder(proxy("tls", "/orders")).build());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(tls.only().authorization()).isEqualTo("Bearer " + lastToken());
        }

        @Test
        @DisplayName("a certificate the JVM does not trust: 502, and nothing sent")
        void untrusted() throws Exception {
            HttpResponse<byte[]> r = send(HttpRequest.newBuilder(proxy("untrusted", "/orders")).build());
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(new JsonObject(new String(r.body(), StandardCharsets.UTF_8)).getString("error")).isEqualTo("upstream_tls_failed");
            assertThat(tls.seen).isEmpty();
        }

        @Test
        @DisplayName("a trusted certificate for another host name: 502 (host name verification), and nothing sent")
        void wrongHost() throws Exception {
            HttpResponse<byte[]> r = send(HttpRequest.newBuilder(proxy("wronghost", "/orders")).build());
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(new JsonObject(new String(r.body(), StandardCharsets.UTF_8)).getString("error")).isEqualTo("upstream_tls_failed");
            assertThat(tls.seen).isEmpty();
        }
    }

    @Nested
    @DisplayName("a DPoP-bound client")
    class Dpop {

        @Test
        @DisplayName("each request carries DPoP and a fresh proof for its method and URI with the token's hash; a nonce "
                + "challenge is answered once with the nonce, without a new token")
        void proofs() throws Exception {
            String token = scanner.secret("dpop-bound-token-" + UUID.randomUUID());
            dpopTokens.add(token);
            idp.respondWith(FakeIdp.Response.json(200,
                    "{\"access_token\":\"" + token + "\",\"token_type\":\"DPoP\",\"expires_in\":3600}"));
            api.dpopToken = token;

            HttpResponse<byte[]> first = send(HttpRequest.newBuilder(proxy("dpop", "/dpop?x=1")).build());
            HttpResponse<byte[]> second = send(HttpRequest.newBuilder(proxy("dpop", "/dpop?x=2"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build());

            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(second.statusCode()).isEqualTo(200);
            assertThat(idp.requestCount()).isEqualTo(1); // the nonce challenge did not cost the token
            // the first request met the nonce challenge and was sent again with the nonce; the second had it at once
            assertThat(api.seen).hasSize(3);
            List<com.nimbusds.jwt.JWTClaimsSet> proofs = new ArrayList<>();
            for (Seen seen : api.seen) {
                assertThat(seen.authorization()).isEqualTo("DPoP " + token);
                com.nimbusds.jwt.SignedJWT proof = com.nimbusds.jwt.SignedJWT.parse(seen.header("dpop"));
                assertThat(proof.getHeader().getType().toString()).isEqualTo("dpop+jwt");
                assertThat(proof.verify(new com.nimbusds.jose.crypto.ECDSAVerifier(proof.getHeader().getJWK().toECKey()))).isTrue();
                proofs.add(proof.getJWTClaimsSet());
            }
            String htu = "http://127.0.0.1:" + api.port() + "/dpop";
            assertThat(proofs).allSatisfy(c -> {
                assertThat(c.getStringClaim("htu")).isEqualTo(htu);
                assertThat(c.getStringClaim("ath")).isEqualTo(java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                        MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII))));
            });
            assertThat(proofs).extracting(c -> c.getStringClaim("htm")).containsExactly("GET", "GET", "POST");
            assertThat(proofs).extracting(c -> c.getStringClaim("nonce")).containsExactly(null, "n-1", "n-1");
            assertThat(proofs).extracting(com.nimbusds.jwt.JWTClaimsSet::getJWTID).doesNotHaveDuplicates();
        }
    }

    final List<String> dpopTokens = new CopyOnWriteArrayList<>();

    @Test
    @DisplayName("tokenkeeper serve in its own process runs the route: a plain request reaches the upstream with a token")
    void serveProcess(@TempDir Path dir) throws Exception {
        int proxyPort = RequiredServers.freePort();
        Path config = Files.writeString(dir.resolve("tokenkeeper.properties"), String.join("\n",
                "clients.orders.token-url=" + idp.tokenUri(),
                "clients.orders.client-id=orders-client",
                "clients.orders.client-secret-env=ORDERS_SECRET",
                "sidecar.port=" + RequiredServers.freePort(),
                "store.type=memory",
                "proxy.orders.listen=" + proxyPort,
                "proxy.orders.upstream=http://127.0.0.1:" + api.port(),
                "proxy.orders.client=orders",
                ""));
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), TokenkeeperCli.class.getName(), "--config", config.toString(), "serve");
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("OAUTH_") || k.startsWith("TOKENKEEPER"));
        pb.environment().put("ORDERS_SECRET", clientSecret);
        Process serve = pb.start();
        try {
            URI orders = URI.create("http://127.0.0.1:" + proxyPort + "/orders?from=process");
            // real time: the other JVM starts and binds its port
            Await.until("the proxy of the serve process answers", Duration.ofSeconds(60), () -> {
                try {
                    return send(HttpRequest.newBuilder(orders).build()).statusCode() == 200;
                } catch (Exception notYet) {
                    return false;
                }
            });
            Seen seen = api.seen.get(api.seen.size() - 1);
            assertThat(seen.uri()).isEqualTo("/orders?from=process");
            assertThat(seen.authorization()).isEqualTo("Bearer " + lastToken());
        } finally {
            serve.destroy(); // SIGTERM: a graceful stop
            assertThat(serve.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        String out = Files.readString(dir.resolve("out.txt")) + Files.readString(dir.resolve("err.txt"));
        logs.saw(out);
        assertThat(serve.exitValue()).as(out).isZero();
        assertThat(out).contains("proxy orders listening on http://127.0.0.1:" + proxyPort).contains("sidecar stopped");
    }

    // ------------------------------------------------------------------------------------------

    /** One request as the upstream saw it. */
    record Seen(String method, String uri, Map<String, String> headers, int bodyLength) {
        String authorization() {
            return headers.get("authorization");
        }

        String header(String name) {
            return headers.get(name);
        }

        @Override
        public String toString() { // the header is a token: never shown
            return "Seen[" + method + " " + uri + "]";
        }
    }

    /**
     * A resource server on loopback: accepts only tokens the IdP issued and the test has not
     * revoked (else a 401 with {@code invalid_token}, or a bare one without a token), reads each
     * request's body whole before answering, and records every request.
     * {@code /echo} streams the body back; {@code /forbidden} is a 403; {@code /redirect?to=} a 302;
     * {@code /collect} accepts anything; {@code /hang} never answers; anything else answers its path.
     */
    final class Upstream {
        final List<Seen> seen = new CopyOnWriteArrayList<>();
        final Set<String> revoked = ConcurrentHashMap.newKeySet();
        final HttpServer server;
        volatile String dpopToken;
        final java.util.concurrent.atomic.AtomicInteger hangsClosed = new java.util.concurrent.atomic.AtomicInteger();

        Upstream(PfxOptions tlsKey) {
            HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0);
            if (tlsKey != null) {
                options.setSsl(true).setKeyCertOptions(tlsKey);
            }
            server = vertx.createHttpServer(options).requestHandler(this::handle);
            server.listen().await();
        }

        int port() {
            return server.actualPort();
        }

        Seen only() {
            assertThat(seen).hasSize(1);
            return seen.get(0);
        }

        private void handle(HttpServerRequest req) {
            Map<String, String> headers = new LinkedHashMap<>();
            req.headers().forEach(h -> headers.merge(h.getKey().toLowerCase(), h.getValue(), (a, b) -> a + ", " + b));
            String auth = req.getHeader("Authorization");
            String path = req.path().startsWith("/base/") ? req.path().substring(5) : req.path(); // the api route's base path
            if (path.equals("/echo")) {
                // streamed both ways: the body is never held here; the token is checked first
                if (!accepted(auth)) {
                    req.body().onSuccess(b -> {
                        seen.add(new Seen(req.method().name(), req.uri(), headers, b.length()));
                        reject(req, auth);
                    });
                    return;
                }
                long[] length = new long[1];
                req.response().setChunked(true);
                req.handler(chunk -> {
                    length[0] += chunk.length();
                    req.response().write(chunk);
                    if (req.response().writeQueueFull()) {
                        req.pause();
                        req.response().drainHandler(v -> req.resume());
                    }
                });
                req.endHandler(v -> {
                    seen.add(new Seen(req.method().name(), req.uri(), headers, (int) length[0]));
                    req.response().end();
                });
                return;
            }
            req.body().onSuccess(b -> {
                seen.add(new Seen(req.method().name(), req.uri(), headers, b.length()));
                switch (path) {
                    case "/dpop" -> dpop(req, auth);
                    case "/collect" -> req.response().end("collected");
                    case "/hang" -> req.connection().closeHandler(v -> hangsClosed.incrementAndGet()); // never answered
                    case "/redirect" -> req.response().setStatusCode(302).putHeader("Location", req.getParam("to")).end();
                    default -> {
                        if (!accepted(auth)) {
                            reject(req, auth);
                        } else if (path.equals("/forbidden")) {
                            req.response().setStatusCode(403)
                                    .putHeader("WWW-Authenticate", "Bearer error=\"insufficient_scope\"").end();
                        } else {
                            req.response().putHeader("Content-Type", "application/json")
                                    .end(new JsonObject().put("path", req.path()).encode());
                        }
                    }
                }
            });
        }

        /** RFC 9449 §9: the first proof without a nonce is answered with a nonce challenge. */
        private void dpop(HttpServerRequest req, String auth) {
            String proof = req.getHeader("DPoP");
            if (dpopToken == null || !("DPoP " + dpopToken).equals(auth) || proof == null) {
                reject(req, auth);
                return;
            }
            try {
                if (com.nimbusds.jwt.SignedJWT.parse(proof).getJWTClaimsSet().getStringClaim("nonce") == null) {
                    req.response().setStatusCode(401).putHeader("DPoP-Nonce", "n-1")
                            .putHeader("WWW-Authenticate", "DPoP error=\"use_dpop_nonce\"").end();
                    return;
                }
            } catch (java.text.ParseException e) {
                req.response().setStatusCode(400).end();
                return;
            }
            req.response().end("bound");
        }

        private boolean accepted(String auth) {
            if (auth == null || !auth.startsWith("Bearer ")) {
                return false;
            }
            String token = auth.substring(7);
            return issued().contains(token) && !revoked.contains(token);
        }

        private void reject(HttpServerRequest req, String auth) {
            req.response().setStatusCode(401).putHeader("WWW-Authenticate", auth == null ? "Bearer realm=\"api\""
                    : "Bearer realm=\"api\", error=\"invalid_token\"").end(Buffer.buffer());
        }
    }

    private static String rawRequest(int port, String request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.append((char) b);
            }
            java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length:\\s*(\\d+)").matcher(head);
            byte[] body = length.find() ? in.readNBytes(Integer.parseInt(length.group(1))) : new byte[0];
            return head + new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    private static String sha256(byte[] data) throws Exception {
        return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** A self-signed EC certificate for {@code host} (and nothing else), by the JDK's keytool. */
    private static void selfSignedFor(String host, Path keystore, Path pem) throws Exception {
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(keytool, "-genkeypair", "-alias", "upstream", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + host,
                "-ext", "SAN=dns:" + host, "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", "changeit", "-keypass", "changeit");
        run(keytool, "-exportcert", "-rfc", "-alias", "upstream", "-keystore", keystore.toString(), "-storepass", "changeit",
                "-file", pem.toString());
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }
}
