package dev.tokenkeeper.adapter.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.testsupport.SecretScanner;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 16, item 5: an IdP that echoes what it was sent into its {@code error_description}, in
 * every way a server may encode it, must never get the client secret (or a grant's credential) into
 * an exception message. The IdP is a loopback Vert.x server that builds its echo from the request
 * it really received, so the encodings are those on the wire, not the test's idea of them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecretEchoTest {

    private static final String CLIENT_ID = "echo client";
    private static final Pattern PERCENT = Pattern.compile("%[0-9A-F]{2}");

    private final SecretScanner scanner = new SecretScanner();
    /**
     * A random core no message may ever show any part of, inside a secret with characters that
     * encodings change (space, slash, plus, ampersand, equals, non-ASCII, a control character) and a
     * trailing newline, as a secret read carelessly from a file or an environment variable has.
     */
    private final String core = UUID.randomUUID().toString().replace("-", "");
    private final String clientSecret = "s3 cr/t+&=\u00e9\u0007" + core + "\n";
    private final String refreshCore = UUID.randomUUID().toString().replace("-", "");
    private final String refreshToken = "rt/" + refreshCore + "+x";
    private Vertx vertx;
    private HttpServer idp;
    private volatile Function<Map<String, String>, String> echo = form -> "nothing";

    @BeforeAll
    void start() throws Exception {
        scanner.secret(core); // any part of the core showing is a leak, whatever surrounds it
        scanner.secret(refreshCore);
        scanner.secret(clientSecret);
        scanner.secret(clientSecret.strip());
        vertx = Vertx.vertx();
        idp = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> answer(req, body)));
        idp.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    @AfterAll
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        scanner.close();
    }

    /**
     * Answers 401 invalid_client with an {@code error_description} made by {@link #echo} from what
     * arrived: the raw body and the Basic header under {@code "body"} and {@code "basic"}, and each
     * form field decoded.
     */
    private void answer(HttpServerRequest req, Buffer body) {
        Map<String, String> received = new LinkedHashMap<>();
        received.put("body", body.toString(StandardCharsets.UTF_8));
        String authorization = req.getHeader("Authorization");
        received.put("basic", authorization == null ? "" : new String(Base64.getDecoder().decode(authorization.substring(6)),
                StandardCharsets.UTF_8));
        for (String pair : body.toString(StandardCharsets.UTF_8).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                received.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        String description = "invalid client secret '" + echo.apply(received) + "', see logs";
        req.response().setStatusCode(401).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", "invalid_client").put("error_description", description).encode());
    }

    private VertxTokenEndpoint endpoint(ClientAuthentication authentication) {
        return VertxTokenEndpoint.builder(URI.create("http://127.0.0.1:" + idp.actualPort() + "/token"), CLIENT_ID,
                        Secret.of(clientSecret))
                .clientAuthentication(authentication)
                .requestTimeout(Duration.ofSeconds(10))
                .build();
    }

    private TokenException failure(CompletionStage<?> stage) throws Exception {
        try {
            stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            scanner.seen(e.getCause()); // scans message, toString and causes for every form registered
            assertThat(e.getCause()).isInstanceOf(TokenException.class);
            return (TokenException) e.getCause();
        }
        return fail("expected the IdP's 401");
    }

    /** Has {@code echo} applied to what the IdP received, and checks that the message hides it. */
    private void assertRedacted(ClientAuthentication authentication, String how, Function<Map<String, String>, String> echo)
            throws Exception {
        this.echo = echo;
        try (VertxTokenEndpoint endpoint = endpoint(authentication)) {
            TokenException e = failure(endpoint.request(new TokenRequest(TokenKey.of("echo"), Grant.ClientCredentials.INSTANCE)));
            assertThat(e.kind()).isEqualTo(FailureKind.INVALID_CLIENT);
            assertThat(e.getMessage()).as(how)
                    .contains("invalid client secret '", "[redacted]")
                    .doesNotContain(core, "s3 cr", "s3+cr", "s3%20cr", "cr/t", "cr%2Ft", "cr%2ft", "cr\\/t");
        }
    }

    private static String json(String s) {
        String quoted = Json.encode(s);
        return quoted.substring(1, quoted.length() - 1);
    }

    /** Every character outside printable ASCII, and the slash, as a JSON {@code \\uXXXX} escape. */
    private static String jsonUnicode(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c < 0x20 || c > 0x7e || c == '/' ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }

    private static String lowerHex(String encoded) {
        Matcher m = PERCENT.matcher(encoded);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(b, m.group().toLowerCase());
        }
        return m.appendTail(b).toString();
    }

    @Test
    @DisplayName("client_secret_post: the raw form body, decoded, re-encoded, trimmed, JSON- and HTML-escaped echoes are all redacted")
    void postEchoes() throws Exception {
        ClientAuthentication post = ClientAuthentication.CLIENT_SECRET_POST;
        assertRedacted(post, "raw form body", r -> r.get("body"));
        assertRedacted(post, "decoded, with its control character and newline", r -> r.get("client_secret"));
        assertRedacted(post, "decoded and trimmed", r -> r.get("client_secret").strip());
        assertRedacted(post, "decoded, control characters dropped", r -> r.get("client_secret").replaceAll("\\p{Cntrl}", ""));
        assertRedacted(post, "form-encoded, lower-case hex", r -> lowerHex(r.get("body")));
        assertRedacted(post, "percent-encoded with %20",
                r -> URLEncoder.encode(r.get("client_secret"), StandardCharsets.UTF_8).replace("+", "%20"));
        assertRedacted(post, "encoded twice", r -> URLEncoder.encode(r.get("body"), StandardCharsets.UTF_8));
        assertRedacted(post, "JSON-escaped twice (\\n, \\u0007)", r -> json(r.get("client_secret")));
        assertRedacted(post, "JSON \\u escapes", r -> jsonUnicode(r.get("client_secret")));
        assertRedacted(post, "HTML references", r -> r.get("client_secret").replace("&", "&amp;").replace("\n", "&#10;")
                .replace("\u0007", "&#x07;"));
        assertRedacted(post, "with whitespace around it", r -> "  \t" + r.get("client_secret").strip() + " \r\n ");
    }

    @Test
    @DisplayName("client_secret_basic: the decoded Basic header, raw or form-decoded, is redacted")
    void basicEchoes() throws Exception {
        ClientAuthentication basic = ClientAuthentication.CLIENT_SECRET_BASIC;
        assertRedacted(basic, "id:secret as sent", r -> r.get("basic"));
        assertRedacted(basic, "id:secret decoded", r -> URLDecoder.decode(r.get("basic"), StandardCharsets.UTF_8));
        assertRedacted(basic, "decoded and trimmed", r -> URLDecoder.decode(r.get("basic"), StandardCharsets.UTF_8).strip());
    }

    @Test
    @DisplayName("a refresh token echoed in any encoding is redacted too")
    void refreshTokenEcho() throws Exception {
        Map<String, Function<Map<String, String>, String>> echoes = new LinkedHashMap<>();
        echoes.put("raw body", r -> r.get("body"));
        echoes.put("decoded", r -> r.get("refresh_token"));
        echoes.put("JSON-escaped", r -> json(r.get("refresh_token")).replace("/", "\\/"));
        for (Map.Entry<String, Function<Map<String, String>, String>> e : echoes.entrySet()) {
            echo = e.getValue();
            try (VertxTokenEndpoint endpoint = endpoint(ClientAuthentication.CLIENT_SECRET_BASIC)) {
                TokenException ex = failure(endpoint.request(new TokenRequest(TokenKey.of("echo"),
                        new Grant.RefreshToken(Secret.of(refreshToken)))));
                assertThat(ex.getMessage()).as(e.getKey()).contains("[redacted]").doesNotContain(refreshCore);
            }
        }
    }
}
