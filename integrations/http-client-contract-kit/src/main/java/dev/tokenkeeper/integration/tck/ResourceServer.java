package dev.tokenkeeper.integration.tck;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A resource server on loopback that checks Bearer tokens, for the contract kit: the JDK's own
 * HTTP server, one origin ({@code http://127.0.0.1:port}) per instance. A token is accepted if the
 * {@code valid} predicate (the IdP issued it) says so and it was not {@link #revoke revoked}.
 *
 * <ul>
 *   <li>{@code /api/…} (any method): 200 with {@code ok <body>} for a good token; 401 with
 *       {@code WWW-Authenticate: Bearer error="invalid_token"} for a bad one, a bare
 *       {@code Bearer realm="api"} challenge without one;</li>
 *   <li>{@code /admin}: 403 {@code insufficient_scope} for a good token;</li>
 *   <li>{@code /hop?to=<uri>}: 302 to {@code uri};</li>
 *   <li>{@code /collect}: 200 whatever it carries; {@code /deny}: a bare 401.</li>
 * </ul>
 * Every request is recorded with its path and {@code Authorization} header. Thread-safe.
 *
 * <h2>DPoP</h2>
 * Started with {@link #start(Predicate, Function) the proof each token was bound with} (the fake
 * IdP's {@code dpopProofOf}), it demands DPoP (RFC 9449) for the tokens the IdP bound:
 * {@code Authorization: DPoP <token>} and exactly one {@code DPoP} proof, checked as a resource
 * server must (§4.3, §7.1): {@code typ} {@code dpop+jwt}, signed by the public JWK in its header,
 * {@code htm} the request's method, {@code htu} its URI without query, {@code ath} the base64url
 * SHA-256 of the token, a {@code jti} never seen before, an {@code iat} within a minute, the JWK's
 * thumbprint that of the key the token was requested with, and the nonce {@link #requireNonce
 * demanded} if any (else 401 {@code use_dpop_nonce} with a {@code DPoP-Nonce}). A bad proof gets
 * 401 {@code invalid_dpop_proof} (no verdict on the token) and is recorded ({@link Seen#problem}). A
 * bound token sent as Bearer, or an unbound one sent as DPoP, is refused with {@code invalid_token}.
 */
public final class ResourceServer implements AutoCloseable {

    /**
     * One request as it arrived.
     *
     * @param dpop its {@code DPoP} header, or null
     * @param proof the claims of that proof if it could be read, else null
     * @param problem why its DPoP proof was refused, or null
     */
    public record Seen(String method, String path, String authorization, String body, String dpop, Proof proof,
            String problem) {
        @Override
        public String toString() { // the header is a token: never shown
            return "Seen[" + method + " " + path + ", authorization=" + (authorization == null ? "none" : "present")
                    + ", dpop=" + (dpop == null ? "none" : "present") + (problem == null ? "" : ", problem=" + problem) + "]";
        }
    }

    /** What a DPoP proof said. */
    public record Proof(String jti, String htm, String htu, String nonce, String jkt) {}

    /** How far a proof's {@code iat} may be from now. */
    private static final Duration IAT_WINDOW = Duration.ofSeconds(60);
    private static final JOSEObjectType DPOP_JWT = new JOSEObjectType("dpop+jwt");

    private final Function<String, String> boundWith;
    private final Set<String> jtis = ConcurrentHashMap.newKeySet();
    private volatile String nonce;

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final Predicate<String> valid;
    private final Set<String> revoked = ConcurrentHashMap.newKeySet();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private volatile boolean rejectEverything;
    private volatile CountDownLatch holdRejections;

    private ResourceServer(Predicate<String> valid, Function<String, String> boundWith) throws IOException {
        this.valid = valid;
        this.boundWith = boundWith;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/", this::handle);
        server.setExecutor(threads);
        server.start();
    }

    /** Starts one on a free loopback port; {@code valid} says which tokens the IdP issued. */
    public static ResourceServer start(Predicate<String> valid) throws IOException {
        return new ResourceServer(valid, token -> null);
    }

    /**
     * Starts one that also demands DPoP for the tokens {@code boundWith} gives a proof for: the proof
     * of the token request that bound the token (whose key later proofs must be signed with).
     */
    public static ResourceServer start(Predicate<String> valid, Function<String, String> boundWith) throws IOException {
        return new ResourceServer(valid, boundWith);
    }

    /** From now on a DPoP proof must carry {@code nonce} (RFC 9449 §9); null: none demanded. */
    public void requireNonce(String nonce) {
        this.nonce = nonce;
    }

    /** {@code http://127.0.0.1:port} followed by {@code pathAndQuery}. */
    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + pathAndQuery);
    }

    /** From now on {@code token} is refused (the IdP revoked it). */
    public void revoke(String token) {
        revoked.add(token);
    }

    /** Whether every token is refused, however fresh. */
    public void rejectEverything(boolean reject) {
        this.rejectEverything = reject;
    }

    /**
     * Holds each 401 for a bad token until {@code count} of them have arrived, so that that many
     * rejections are provably concurrent.
     */
    public void holdRejectionsUntil(int count) {
        this.holdRejections = new CountDownLatch(count);
    }

    /** Every request so far, oldest first. */
    public List<Seen> seen() {
        return List.copyOf(seen);
    }

    /** The requests to {@code path} so far. */
    public List<Seen> seen(String path) {
        return seen.stream().filter(s -> s.path().equals(path)).toList();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            String path = exchange.getRequestURI().getPath();
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            List<String> proofs = exchange.getRequestHeaders().get("DPoP");
            String dpop = proofs == null || proofs.isEmpty() ? null : proofs.get(0);
            Proof proof = dpop == null ? null : claims(dpop);
            String problem = null;
            String scheme = authorization == null ? "" : authorization.substring(0, Math.max(0, authorization.indexOf(' ')));
            String presented = authorization == null || scheme.isEmpty() ? null : authorization.substring(scheme.length() + 1);
            String bound = presented == null ? null : boundWith.apply(presented);
            boolean api = !path.equals("/hop") && !path.equals("/collect") && !path.equals("/deny");
            if (api && bound != null && scheme.equals("DPoP")) {
                problem = proofs == null || proofs.size() != 1 ? "not exactly one DPoP proof"
                        : check(dpop, exchange.getRequestMethod(), requestUri(exchange), presented, bound);
            }
            seen.add(new Seen(exchange.getRequestMethod(), path, authorization, body, dpop, proof, problem));
            if (path.equals("/hop")) {
                String query = exchange.getRequestURI().getRawQuery();
                String to = java.net.URLDecoder.decode(query.substring("to=".length()), StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Location", to);
                reply(exchange, 302, "");
                return;
            }
            if (path.equals("/collect")) {
                reply(exchange, 200, "collected");
                return;
            }
            if (path.equals("/deny")) {
                exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"other\"");
                reply(exchange, 401, "");
                return;
            }
            if (authorization == null || !(scheme.equals("Bearer") || scheme.equals("DPoP"))) {
                exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"api\"");
                exchange.getResponseHeaders().add("WWW-Authenticate", "DPoP realm=\"api\", algs=\"ES256 RS256\"");
                reply(exchange, 401, "");
                return;
            }
            String token = presented;
            if (problem != null) {
                if (problem.equals("use_dpop_nonce")) {
                    exchange.getResponseHeaders().add("DPoP-Nonce", nonce);
                    exchange.getResponseHeaders().add("WWW-Authenticate",
                            "DPoP error=\"use_dpop_nonce\", error_description=\"Resource server requires nonce in DPoP proof\"");
                } else {
                    exchange.getResponseHeaders().add("WWW-Authenticate", "DPoP error=\"invalid_dpop_proof\"");
                }
                reply(exchange, 401, "");
                return;
            }
            boolean wrongScheme = scheme.equals("DPoP") != (bound != null); // a bound token as Bearer, or a bearer one as DPoP
            if (rejectEverything || wrongScheme || revoked.contains(token) || !valid.test(token)) {
                CountDownLatch hold = holdRejections;
                if (hold != null) {
                    hold.countDown();
                    // real time: the other clients' requests are on their way over real sockets; bounded
                    hold.await(20, TimeUnit.SECONDS);
                }
                exchange.getResponseHeaders().add("WWW-Authenticate", scheme + " realm=\"api\", error=\"invalid_token\", "
                        + "error_description=\"the token was revoked\"");
                reply(exchange, 401, "");
                return;
            }
            if (path.equals("/admin")) {
                exchange.getResponseHeaders().add("WWW-Authenticate",
                        "Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"admin\"");
                reply(exchange, 403, "");
                return;
            }
            reply(exchange, 200, "ok " + body);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The URI the request was sent to, as its proof must name it: {@code http://127.0.0.1:port/path}. */
    private URI requestUri(HttpExchange exchange) {
        return uri(exchange.getRequestURI().getRawPath());
    }

    /** The claims of {@code proof}, or null if it is no JWT. */
    private static Proof claims(String proof) {
        try {
            SignedJWT jwt = SignedJWT.parse(proof);
            JWTClaimsSet c = jwt.getJWTClaimsSet();
            JWK jwk = jwt.getHeader().getJWK();
            return new Proof(c.getJWTID(), c.getStringClaim("htm"), c.getStringClaim("htu"), c.getStringClaim("nonce"),
                    jwk == null ? null : jwk.computeThumbprint().toString());
        } catch (Exception e) {
            return null;
        }
    }

    /** Why {@code proof} does not prove possession for this request with {@code token}, or null if it does. */
    private String check(String proof, String method, URI uri, String token, String boundWith) {
        try {
            SignedJWT jwt = SignedJWT.parse(proof);
            if (!DPOP_JWT.equals(jwt.getHeader().getType())) {
                return "typ is not dpop+jwt";
            }
            JWK jwk = jwt.getHeader().getJWK();
            if (jwk == null || jwk.isPrivate()) {
                return "no public jwk in the header";
            }
            JWSVerifier verifier = jwk instanceof ECKey ec ? new ECDSAVerifier(ec.toECPublicKey())
                    : jwk instanceof RSAKey rsa ? new RSASSAVerifier(rsa.toRSAPublicKey()) : null;
            if (verifier == null || !jwt.verify(verifier)) {
                return "the signature is not the header key's";
            }
            JWTClaimsSet c = jwt.getJWTClaimsSet();
            if (!method.equals(c.getStringClaim("htm"))) {
                return "htm " + c.getStringClaim("htm") + " is not " + method;
            }
            if (!uri.toString().equals(c.getStringClaim("htu"))) {
                return "htu " + c.getStringClaim("htu") + " is not " + uri;
            }
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
            if (!Base64URL.encode(hash).toString().equals(c.getStringClaim("ath"))) {
                return "ath is not the token's hash";
            }
            Date iat = c.getIssueTime();
            if (iat == null || Duration.between(iat.toInstant(), Instant.now()).abs().compareTo(IAT_WINDOW) > 0) {
                return "iat is not recent";
            }
            String bindingJkt = SignedJWT.parse(boundWith).getHeader().getJWK().computeThumbprint().toString();
            if (!bindingJkt.equals(jwk.computeThumbprint().toString())) {
                return "signed with another key than the token is bound to";
            }
            if (c.getJWTID() == null || !jtis.add(c.getJWTID())) {
                return "jti replayed";
            }
            String demanded = nonce;
            if (demanded != null && !demanded.equals(c.getStringClaim("nonce"))) {
                return "use_dpop_nonce";
            }
            return null;
        } catch (Exception e) {
            return "unreadable proof (" + e.getClass().getSimpleName() + ")";
        }
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
