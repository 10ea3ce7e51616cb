package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.spi.TokenEndpoint;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenResponse;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A {@link TokenEndpoint} on Vert.x Web Client 5: runs any {@link dev.tokenkeeper.domain.spi.Grant}
 * against an OAuth 2.0 token endpoint (RFC 6749), adds the key's {@code scope}, {@code audience}
 * and RFC 8707 {@code resource}, authenticates the client with {@code client_secret_basic} or
 * {@code client_secret_post}, validates the answer and resolves the token lifetime. It can revoke
 * tokens (RFC 7009) when a revocation URL is configured.
 *
 * <pre>{@code
 * TokenEndpoint endpoint = VertxTokenEndpoint
 *         .builder(URI.create("https://idp.example/oauth2/token"), "my-client", Secret.of(secret))
 *         .requestTimeout(Duration.ofSeconds(5))
 *         .build();
 * }</pre>
 *
 * <p>Every stage completes within {@code requestTimeout} (plus scheduling slack), on a Vert.x
 * event-loop thread or a JDK timer thread: dependents that block must use the {@code *Async}
 * variants with their own executor. Failures are {@link TokenException}s whose kind follows RFC 6749
 * §5.2 and HTTP status (401 without a code or with {@code invalid_client}, {@code unauthorized_client}
 * or an unknown one: INVALID_CLIENT, 429: RATE_LIMITED with {@code Retry-After}, 5xx: SERVER_ERROR,
 * timeouts: TIMEOUT, refused or reset connections: NETWORK, unusable answers: MALFORMED_RESPONSE). No message or {@code toString} contains the client
 * secret, a token or a grant's credentials.
 *
 * <p>With {@link Builder#dpop(DpopProofs) DPoP} (RFC 9449), every token request carries a fresh proof
 * (new {@code jti} and {@code iat}, {@code htm} POST, {@code htu} the token URL), a retry after a
 * failure included; a {@code use_dpop_nonce} answer is followed by exactly one more request whose
 * proof carries the server's {@code DPoP-Nonce}; the token keeps the {@code token_type} the server
 * sent ({@code DPoP}, or {@code Bearer} if it did not bind it); and {@link #tokenBinding()} is the
 * key's thumbprint, so that a store never hands one key's token to a client with another key.
 *
 * <p>Thread-safe. Its settings are fixed once built; the client secret comes from a
 * {@link SecretSource} on every request, so a secret kept in a file can be rotated without a
 * restart. Redirects are never followed (they would carry the client's credentials elsewhere). It owns, and {@link #close() closes}, the {@code Vertx} and
 * {@code WebClient} it created; one passed in through the builder stays the caller's.
 */
public final class VertxTokenEndpoint implements TokenEndpoint, AutoCloseable {

    /** A TCP and TLS handshake with a healthy IdP takes well under a second; 5 s tolerates a slow network. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

    /**
     * IdPs answer token requests in milliseconds to a few hundred; 10 s bounds a stuck one while
     * tolerating a slow one. The resilience layer around the endpoint retries.
     */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

    /** A token response is a few KiB even with a large JWT; 64 KiB is ample and bounds memory per request. */
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

    /**
     * 30 days: the largest lifetime mainstream IdPs allow by configuration (Auth0's maximum is
     * 2,592,000 s; Entra ID and Okta stop at one day). Larger values are almost always a unit
     * mistake (milliseconds sent as seconds) or garbage, and trusting them would keep a revoked
     * token in use for months.
     */
    public static final Duration DEFAULT_MAX_EXPIRES_IN = Duration.ofDays(30);

    /**
     * The lifetime assumed for an opaque token sent without {@code expires_in} (RFC 6749 makes it
     * only RECOMMENDED). Five minutes is deliberately short: too short costs a few extra token
     * requests an hour, too long would serve a token the server already considers expired.
     */
    public static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(5);

    /** RFC 6750 Bearer tokens only: another type (e.g. DPoP) needs proof-of-possession support from callers. */
    public static final Set<String> DEFAULT_ACCEPTED_TOKEN_TYPES = Set.of("Bearer");

    /** How long {@link #close()} waits for an owned Vert.x instance to stop. */
    private static final long CLOSE_WAIT_SECONDS = 5;

    private static final String USER_AGENT = "tokenkeeper";

    private final EndpointConfig config;
    private final WebClient webClient;
    private final boolean ownsWebClient;
    private final Vertx ownedVertx;
    private final TokenResponseParser parser;
    private volatile Credentials credentials;
    private final String tokenUrl;
    private final String revocationUrl;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The DPoP key and nonces, or null for bearer tokens. */
    private final DpopProofs dpop;
    /** Makes client_secret_jwt / private_key_jwt assertions, or null for the other methods. */
    private final ClientAssertions assertions;
    /** The issuer's metadata when the endpoints are discovered, or null when they are configured. */
    private final Discovery discovery;
    /** The {@link ClientCertificate#version()} the web client's TLS options were last set from. */
    private volatile long certificateVersion;
    /** Where the password grant goes as a JSON login, or null for the OAuth password grant. */
    private final URI jsonLoginUrl;
    private final String jsonLoginDisplay;

    /** The read, write and pool-wait timeouts (issue 12); see the builder's {@code ioTimeouts}. */
    private record IoTimeouts(Duration read, Duration write, Duration pool) {}

    private final IoTimeouts io;

    private VertxTokenEndpoint(EndpointConfig config, Vertx vertx, WebClient webClient, DpopProofs dpop, URI jsonLoginUrl,
            IoTimeouts io) {
        this.config = config;
        this.dpop = dpop;
        this.io = io;
        this.jsonLoginUrl = jsonLoginUrl;
        this.jsonLoginDisplay = jsonLoginUrl == null ? null : EndpointConfig.display(jsonLoginUrl);
        this.parser = new TokenResponseParser(config);
        this.credentials = config.clientSecret() == null ? Credentials.NONE
                : Credentials.of(config.clientId(), config.clientSecret().current(), 0);
        this.tokenUrl = config.tokenUrl() == null ? EndpointConfig.display(config.issuer()) + " (discovered)"
                : EndpointConfig.display(config.tokenUrl());
        this.revocationUrl = config.revocationUrl() == null ? null : EndpointConfig.display(config.revocationUrl());
        EndpointConfig.AuthOptions auth = config.auth();
        this.assertions = config.authentication().usesAssertion()
                ? new ClientAssertions(config.clientId(), config.authentication(), auth.assertionKey(), config.clientSecret(),
                        auth.assertionAlgorithm(), auth.assertionAudience(), auth.assertionLifetime(), config.clock())
                : null;
        if (webClient != null) {
            this.webClient = webClient;
            this.ownsWebClient = false;
            this.ownedVertx = null;
        } else {
            this.ownedVertx = vertx == null
                    ? Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1))
                    : null;
            WebClientOptions options = new WebClientOptions()
                    .setConnectTimeout((int) config.connectTimeout().toMillis())
                    // no read/write idle timeout on the connections themselves: it also closes a pooled
                    // connection that merely waited (a Retry-After pause as long as the timeout raced the
                    // next request on it, which then reached the IdP twice); the read timeout is set per
                    // request below, and the request timeout bounds every exchange, writing included
                    .setFollowRedirects(false)
                    .setDecompressionSupported(false)
                    .setUserAgent(USER_AGENT);
            if (auth.trustFile() != null) {
                options.setTrustOptions(new PemTrustOptions().addCertPath(auth.trustFile().toString()));
            }
            if (auth.certificate() != null) {
                this.certificateVersion = auth.certificate().version();
                options.setKeyCertOptions(auth.certificate().current());
            }
            this.webClient = WebClient.create(vertx != null ? vertx : ownedVertx, options);
            this.ownsWebClient = true;
        }
        this.discovery = config.issuer() != null && config.tokenUrl() == null ? new Discovery(config.issuer(), this.webClient, config) : null;
    }

    /**
     * A builder for an endpoint whose token (and revocation and mTLS) endpoints come from the
     * discovery document of {@code issuer} (RFC 8414, else OpenID Connect Discovery), fetched at the
     * first request, cached for an hour and fetched again with bounded backoff when it fails. The
     * document's {@code issuer} must equal {@code issuer} exactly.
     *
     * @param issuer the issuer identifier, e.g. {@code https://idp.example/realms/prod}
     * @param clientId the client identifier
     * @param clientSecret where the secret comes from, or null for methods without one
     *     ({@code private_key_jwt}, mTLS, {@code none})
     */
    public static Builder discover(URI issuer, String clientId, SecretSource clientSecret) {
        return new Builder(null, clientId, clientSecret).issuer(issuer);
    }

    /**
     * A builder for a client that authenticates without a secret: {@code private_key_jwt} (set
     * {@link Builder#clientAssertionKey}), mTLS (set {@link Builder#clientCertificate}) or
     * {@code none}; choose the method with {@link Builder#clientAuthentication}.
     */
    public static Builder builder(URI tokenUrl, String clientId) {
        return new Builder(tokenUrl, clientId, null);
    }

    /** Where requests go: the configured endpoints, or the discovered ones. */
    private record Target(URI tokenUrl, URI revocationUrl, URI issuer) {}

    private CompletionStage<Target> target() {
        if (discovery == null) {
            return CompletableFuture.completedFuture(new Target(config.tokenUrl(), config.revocationUrl(), config.issuer()));
        }
        return discovery.metadata().thenApply(m -> {
            ClientAuthentication a = config.authentication();
            // "none" is left out: IdPs that serve public clients rarely list it
            if (a != ClientAuthentication.NONE && !m.authMethods().isEmpty() && !m.authMethods().contains(a.rfcName())) {
                throw new TokenException(FailureKind.BAD_CONFIGURATION, "the issuer " + EndpointConfig.display(m.issuer())
                        + " does not support client authentication " + a + " (it lists " + m.authMethods() + ")");
            }
            boolean mtls = a.usesCertificate();
            URI token = mtls && m.mtlsTokenEndpoint() != null ? m.mtlsTokenEndpoint() : m.tokenEndpoint();
            URI revocation = config.revocationUrl() != null ? config.revocationUrl()
                    : mtls && m.mtlsRevocationEndpoint() != null ? m.mtlsRevocationEndpoint() : m.revocationEndpoint();
            return new Target(token, revocation, m.issuer());
        });
    }

    /**
     * A builder for an endpoint at {@code tokenUrl} for the client {@code clientId}.
     *
     * @param tokenUrl the token endpoint; {@code https}, or {@code http} to a loopback host
     * @param clientId the client identifier
     * @param clientSecret the client secret
     */
    public static Builder builder(URI tokenUrl, String clientId, Secret clientSecret) {
        return new Builder(tokenUrl, clientId, clientSecret == null ? null : SecretSource.of(clientSecret));
    }

    /**
     * A builder for an endpoint whose client secret comes from {@code clientSecret} on every
     * request, e.g. {@link SecretSource#file(java.nio.file.Path)} so that a rotated secret is picked up without a
     * restart. When the server answers {@code invalid_client} or {@code unauthorized_client}, the
     * endpoint {@link SecretSource#reload() reloads} the secret and, if it changed, sends the
     * request once more with the new one.
     *
     * @param tokenUrl the token endpoint; {@code https}, or {@code http} to a loopback host
     * @param clientId the client identifier
     * @param clientSecret where the client secret comes from
     */
    public static Builder builder(URI tokenUrl, String clientId, SecretSource clientSecret) {
        return new Builder(tokenUrl, clientId, clientSecret);
    }

    /**
     * The client credentials of one secret, encoded once; replaced, with the next version number,
     * when the secret changes.
     */
    private record Credentials(Secret secret, String basic, Redactor redactor, long version) {
        /** For methods without a secret. */
        static final Credentials NONE = new Credentials(null, null, Redactor.of(List.of()), 0);

        static Credentials of(String clientId, Secret secret, long version) {
            String id = formEncode(clientId);
            String encoded = formEncode(secret.reveal());
            String basic = Base64.getEncoder().encodeToString((id + ":" + encoded).getBytes(StandardCharsets.UTF_8));
            return new Credentials(secret, "Basic " + basic, Redactor.of(List.of(secret.reveal(), basic)), version);
        }
    }

    /** The credentials for the secret the source gives now (one cheap check per request). */
    private Credentials credentials() {
        if (config.clientSecret() == null) {
            return Credentials.NONE;
        }
        Secret now = config.clientSecret().current();
        Credentials c = credentials;
        if (c.secret() != now && !c.secret().equals(now)) {
            c = Credentials.of(config.clientId(), now, c.version() + 1);
            credentials = c;
        }
        return c;
    }

    /** Moves when the client secret changes (checked against its source now: one {@code stat} for a file). */
    @Override
    public long credentialsVersion() {
        EndpointConfig.AuthOptions auth = config.auth();
        return credentials().version()
                + (auth.assertionKey() == null ? 0 : auth.assertionKey().version())
                + (auth.certificate() == null ? 0 : auth.certificate().version());
    }

    @Override
    public CompletionStage<TokenResponse> request(TokenRequest request) {
        Objects.requireNonNull(request, "request");
        List<String[]> form = new ArrayList<>();
        List<String> grantValues = new ArrayList<>();
        request.grant().writeParameters((name, value) -> {
            form.add(new String[] {name, value});
            if (!"grant_type".equals(name)) {
                grantValues.add(value); // a grant's values may be credentials: never echo them
            }
        });
        TokenKey key = request.key();
        if (!key.scopeString().isEmpty()) {
            form.add(new String[] {"scope", key.scopeString()});
        }
        key.audience().ifPresent(a -> form.add(new String[] {"audience", a}));
        key.resource().ifPresent(r -> form.add(new String[] {"resource", r}));
        if (jsonLoginUrl != null && request.grant() instanceof Grant.Password login) {
            return jsonLogin(login);
        }
        String what = "token request (" + request.grant().grantType() + ")";
        return withDpopNonce(() -> target().thenCompose(target -> withRotation(() -> {
            Credentials c = credentials();
            Redactor redactor = c.redactor().with(grantValues);
            String shown = discovery == null ? tokenUrl : EndpointConfig.display(target.tokenUrl());
            // a new proof for every request sent: a retry never replays a jti
            String proof = dpop == null ? null : dpop.proof("POST", target.tokenUrl());
            return exchange(target.tokenUrl(), shown, what, form, c, redactor, target, proof,
                    response -> parser.parse(what, shown, response.statusCode(), response.body(), redactor));
        })));
    }

    /**
     * Sends, and if the server answers {@code use_dpop_nonce} (RFC 9449 §8) with a nonce, sends
     * exactly once more: the new proof carries the nonce, remembered when the answer arrived.
     */
    private <T> CompletionStage<T> withDpopNonce(Supplier<CompletionStage<T>> send) {
        if (dpop == null) {
            return send.get();
        }
        return send.get().exceptionallyCompose(failure -> {
            Throwable cause = TokenException.unwrap(failure);
            if (cause instanceof TokenException te && te.oauthError().filter("use_dpop_nonce"::equals).isPresent()) {
                return send.get(); // the answer's DPoP-Nonce was remembered for this server when it arrived
            }
            return CompletableFuture.failedFuture(cause);
        });
    }

    /** The DPoP key's JWK thumbprint, or empty for bearer tokens. */
    @Override
    public String tokenBinding() {
        return dpop == null ? "" : dpop.thumbprint();
    }

    /**
     * The password grant as a JSON login ({@link Builder#jsonLogin}): {@code POST {"username",
     * "password"}} to the login URL, the answer read as a token response ({@code token_type}
     * defaults to Bearer, {@code expires_in} to a JWT's {@code exp} or the default lifetime).
     */
    private CompletionStage<TokenResponse> jsonLogin(Grant.Password login) {
        String what = "login request (json)";
        Redactor redactor = credentials().redactor().with(List.of(login.username(), login.password().reveal()));
        JsonObject body = new JsonObject().put("username", login.username()).put("password", login.password().reveal());
        return exchange(jsonLoginUrl, jsonLoginDisplay, what, List.of(), null, redactor, null, null,
                response -> parser.parse(what, jsonLoginDisplay, response.statusCode(), response.body(), redactor), body);
    }

    /**
     * Sends, and if the server rejects the client and the secret source then has a new secret (it
     * was rotated), sends once more with it: a rotation costs at most one rejected request.
     */
    private <T> CompletionStage<T> withRotation(Supplier<CompletionStage<T>> send) {
        return send.get().exceptionallyCompose(failure -> {
            Throwable cause = TokenException.unwrap(failure);
            if (cause instanceof TokenException te
                    && (te.kind() == FailureKind.INVALID_CLIENT || te.kind() == FailureKind.UNAUTHORIZED_CLIENT)
                    && reloadCredentials()) {
                return send.get(); // reload read a few bytes from a file: cheap enough for the event loop
            }
            return CompletableFuture.failedFuture(cause);
        });
    }

    /** Reads the secret, key and certificate files again; whether any changed. */
    private boolean reloadCredentials() {
        EndpointConfig.AuthOptions auth = config.auth();
        boolean changed = config.clientSecret() != null && config.clientSecret().reload();
        changed |= auth.assertionKey() != null && auth.assertionKey().reload();
        changed |= auth.certificate() != null && auth.certificate().reload();
        return changed;
    }

    @Override
    public CompletionStage<Void> revoke(Secret token, String tokenTypeHint) {
        Objects.requireNonNull(token, "token");
        if (config.revocationUrl() == null && discovery == null) {
            return TokenEndpoint.super.revoke(token, tokenTypeHint);
        }
        List<String[]> form = new ArrayList<>();
        form.add(new String[] {"token", token.reveal()});
        if (tokenTypeHint != null && !tokenTypeHint.isBlank()) {
            form.add(new String[] {"token_type_hint", tokenTypeHint});
        }
        return target().thenCompose(target -> {
            if (target.revocationUrl() == null) {
                return TokenEndpoint.super.revoke(token, tokenTypeHint);
            }
            return withRotation(() -> {
                Credentials c = credentials();
                return exchange(target.revocationUrl(), EndpointConfig.display(target.revocationUrl()), "revocation request",
                        form, c, c.redactor().with(List.of(token.reveal())), target, null, response -> null);
            });
        });
    }

    /**
     * Sends one form POST with client authentication and hands a 2xx answer to {@code onSuccess};
     * everything else becomes a {@link TokenException}.
     */
    private <T> CompletionStage<T> exchange(URI url, String displayUrl, String what, List<String[]> form,
            Credentials credentials, Redactor redactor, Target target, String dpopProof,
            Function<HttpResponse<Buffer>, T> onSuccess) {
        return exchange(url, displayUrl, what, form, credentials, redactor, target, dpopProof, onSuccess, null);
    }

    /**
     * Like the form exchange, or, when {@code json} is not null, one POST of that JSON object
     * without client authentication (a JSON login endpoint authenticates the user, not a client).
     */
    private <T> CompletionStage<T> exchange(URI url, String displayUrl, String what, List<String[]> form,
            Credentials credentials, Redactor redactor, Target target, String dpopProof,
            Function<HttpResponse<Buffer>, T> onSuccess, JsonObject json) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new TokenException(FailureKind.BAD_CONFIGURATION,
                    what + " to " + displayUrl + " refused: this token endpoint is closed"));
        }
        CompletableFuture<T> answer = new CompletableFuture<>();
        LimitedBodyCodec codec = new LimitedBodyCodec(config.maxResponseBytes(),
                () -> answer.completeExceptionally(HttpFailures.tooLarge(what, displayUrl, config.maxResponseBytes())));
        List<String[]> body = new ArrayList<>(form);
        HttpRequest<Buffer> http = webClient.postAbs(url.toString())
                .as(codec)
                .followRedirects(false)
                .connectTimeout(io.pool().toMillis()) // a pooled connection, or a new one, within this
                // the longest pause in this exchange, reading or writing (Vert.x has one per-request idle timeout)
                .idleTimeout(Math.min(io.read().toMillis(), io.write().toMillis()))
                .putHeader("Accept", "application/json")
                .putHeader("Content-Type", json != null ? "application/json" : "application/x-www-form-urlencoded");
        if (json == null) { // a JSON login authenticates the user: no client credentials, no proof
            if (dpopProof != null) {
                http.putHeader("DPoP", dpopProof);
            }
            switch (config.authentication()) {
                case CLIENT_SECRET_BASIC -> http.putHeader("Authorization", credentials.basic());
                case CLIENT_SECRET_POST -> {
                    body.add(new String[] {"client_id", config.clientId()});
                    body.add(new String[] {"client_secret", credentials.secret().reveal()});
                }
                case CLIENT_SECRET_JWT, PRIVATE_KEY_JWT -> {
                    String assertion; // a new one for every request sent: a retry never replays a jti
                    try {
                        assertion = assertions.create(target.tokenUrl(), target.issuer());
                    } catch (TokenException e) {
                        return CompletableFuture.failedFuture(e);
                    }
                    redactor = redactor.with(List.of(assertion));
                    body.add(new String[] {"client_id", config.clientId()});
                    body.add(new String[] {"client_assertion_type", ClientAssertions.ASSERTION_TYPE});
                    body.add(new String[] {"client_assertion", assertion});
                }
                case TLS_CLIENT_AUTH, SELF_SIGNED_TLS_CLIENT_AUTH, NONE -> body.add(new String[] {"client_id", config.clientId()});
            }
        }
        Redactor redactorUsed = redactor;
        Future<HttpResponse<Buffer>> sent;
        try {
            Buffer payload = json != null ? Buffer.buffer(json.encode()) : Buffer.buffer(formEncode(body));
            sent = tlsUpToDate().compose(v -> http.sendBuffer(payload));
        } catch (RuntimeException e) { // e.g. the caller's WebClient or Vertx is already closed
            return CompletableFuture.failedFuture(HttpFailures.transport(what, displayUrl, e, redactor));
        }
        sent.onComplete(ar -> {
            if (answer.isDone()) {
                return;
            }
            if (ar.failed()) {
                answer.completeExceptionally(HttpFailures.transport(what, displayUrl, ar.cause(), redactorUsed));
                return;
            }
            HttpResponse<Buffer> response = ar.result();
            if (dpop != null) {
                dpop.rememberNonce(url, response.getHeader("DPoP-Nonce")); // RFC 9449 §8: for the next proof
            }
            try {
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    answer.complete(onSuccess.apply(response));
                } else {
                    answer.completeExceptionally(HttpFailures.errorResponse(what, displayUrl, status,
                            response.getHeader("Retry-After"), response.body(), redactorUsed, config.clock()));
                }
            } catch (TokenException e) {
                answer.completeExceptionally(e);
            } catch (RuntimeException e) {
                answer.completeExceptionally(new TokenException(FailureKind.MALFORMED_RESPONSE, what + " to " + displayUrl
                        + " failed: the response could not be read (" + e.getClass().getSimpleName() + ")"));
            }
        });
        // the overall deadline: idle and connect timeouts alone would not stop a server that drips bytes
        CompletableFuture<T> result = new CompletableFuture<>();
        answer.orTimeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS).whenComplete((value, failure) -> {
            if (failure == null) {
                result.complete(value);
                return;
            }
            Throwable cause = TokenException.unwrap(failure);
            if (cause instanceof TimeoutException) {
                codec.abort();
                result.completeExceptionally(HttpFailures.deadline(what, displayUrl, config.requestTimeout()));
            } else {
                result.completeExceptionally(cause);
            }
        });
        return result;
    }

    /**
     * Completes when the web client's TLS options hold the client certificate as its files are now:
     * after a rotation, the new certificate is installed (for new connections) before the request.
     */
    private Future<Void> tlsUpToDate() {
        ClientCertificate certificate = config.auth().certificate();
        if (certificate == null || !ownsWebClient) {
            return Future.succeededFuture();
        }
        long now = certificate.version();
        if (now == certificateVersion) {
            return Future.succeededFuture();
        }
        ClientSSLOptions ssl = new ClientSSLOptions().setKeyCertOptions(certificate.current());
        if (config.auth().trustFile() != null) {
            ssl.setTrustOptions(new PemTrustOptions().addCertPath(config.auth().trustFile().toString()));
        }
        return webClient.updateSSLOptions(ssl, true).map(changed -> {
            certificateVersion = now;
            return null;
        });
    }

    /** Closes the Vert.x resources this endpoint created; idempotent. Later requests fail with BAD_CONFIGURATION. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (ownsWebClient) {
            webClient.close();
        }
        if (ownedVertx != null) {
            Future<Void> done = ownedVertx.close();
            if (!Context.isOnVertxThread()) { // waiting on an event loop would deadlock it
                try {
                    done.toCompletionStage().toCompletableFuture().get(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    // best effort: the event loop stops on its own
                }
            }
        }
    }

    @Override
    public String toString() {
        return "VertxTokenEndpoint[" + (discovery == null ? "tokenUrl=" + tokenUrl : "issuer=" + EndpointConfig.display(config.issuer()))
                + ", clientId=" + config.clientId() + ", authentication="
                + config.authentication() + (revocationUrl == null ? "" : ", revocationUrl=" + revocationUrl)
                + (dpop == null ? "" : ", dpop=" + dpop.thumbprint()) + "]";
    }

    private static String formEncode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String formEncode(List<String[]> form) {
        StringBuilder sb = new StringBuilder();
        for (String[] pair : form) {
            if (sb.length() > 0) {
                sb.append('&');
            }
            sb.append(formEncode(pair[0])).append('=').append(formEncode(pair[1]));
        }
        return sb.toString();
    }

    /**
     * Builds a {@link VertxTokenEndpoint}. Every setting is checked at {@link #build()}, which
     * reports all problems at once. Not thread-safe; the endpoint it builds is.
     */
    public static final class Builder {
        private final URI tokenUrl;
        private final String clientId;
        private final SecretSource clientSecret;
        private ClientAuthentication authentication = ClientAuthentication.CLIENT_SECRET_BASIC;
        private URI revocationUrl;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private int maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
        private Duration maxExpiresIn = DEFAULT_MAX_EXPIRES_IN;
        private Duration defaultLifetime = DEFAULT_LIFETIME;
        private Set<String> acceptedTokenTypes = DEFAULT_ACCEPTED_TOKEN_TYPES;
        private TokenResponseValidator validator;
        private boolean allowInsecureHttp;
        private InstantSource clock = InstantSource.system();
        private Vertx vertx;
        private WebClient webClient;
        private DpopProofs dpop;
        private URI issuer;
        private ClientAssertionKey assertionKey;
        private String assertionAlgorithm;
        private String assertionAudience;
        private Duration assertionLifetime = ClientAssertions.DEFAULT_LIFETIME;
        private ClientCertificate clientCertificate;
        private java.nio.file.Path trustFile;

        private URI jsonLoginUrl;
        private Duration readTimeout;
        private Duration writeTimeout;
        private Duration poolTimeout;

        /**
         * The longest pause while reading an answer ({@code read}) and while writing a request
         * ({@code write}), both default the request timeout, and the longest wait for a pooled or new
         * connection ({@code pool}, default the connect timeout); each from 1 ms to the request
         * timeout, which still bounds the whole exchange. Null keeps a default. Read and write apply
         * to a web client this endpoint makes (not one given to {@link #webClient}).
         */
        public Builder ioTimeouts(Duration read, Duration write, Duration pool) {
            this.readTimeout = read;
            this.writeTimeout = write;
            this.poolTimeout = pool;
            return this;
        }

        private static Duration ioTimeout(String name, Duration given, Duration fallback, Duration max, List<String> problems) {
            if (given == null) {
                return fallback;
            }
            if (given.compareTo(Duration.ofMillis(1)) < 0 || given.compareTo(max) > 0) {
                problems.add(name + " must be from 1 ms to the request timeout (" + max + "), was " + given);
            }
            return given;
        }

        /**
         * Sends the password grant ({@link Grant.Password}) as a JSON login instead: {@code POST
         * {"username": ..., "password": ...}} with {@code Content-Type: application/json} and no
         * client authentication to {@code loginUrl}, whose answer is token JSON (the shape many
         * internal APIs use instead of OAuth). Other grants (a refresh token) still go to the token
         * URL. Same URL rules as the token URL.
         */
        public Builder jsonLogin(URI loginUrl) {
            this.jsonLoginUrl = Objects.requireNonNull(loginUrl, "loginUrl");
            return this;
        }

        private Builder(URI tokenUrl, String clientId, SecretSource clientSecret) {
            this.tokenUrl = tokenUrl;
            this.clientId = clientId;
            this.clientSecret = clientSecret;
        }

        /** How the client authenticates; default {@link ClientAuthentication#CLIENT_SECRET_BASIC}. */
        public Builder clientAuthentication(ClientAuthentication authentication) {
            this.authentication = Objects.requireNonNull(authentication, "authentication");
            return this;
        }

        /**
         * The issuer. With {@link VertxTokenEndpoint#discover discover} the endpoints come from its
         * discovery document; with a configured token URL it is only the {@code aud} of assertions
         * when {@link #assertionAudience} is {@code issuer}.
         */
        public Builder issuer(URI issuer) {
            this.issuer = Objects.requireNonNull(issuer, "issuer");
            return this;
        }

        /** The key that signs {@code private_key_jwt} assertions (PEM, JWK or PKCS#12; re-read when its file changes). */
        public Builder clientAssertionKey(ClientAssertionKey key) {
            this.assertionKey = Objects.requireNonNull(key, "key");
            return this;
        }

        /**
         * The JWS algorithm of client assertions, e.g. {@code PS256}; default RS256 for an RSA key,
         * ES256/ES384/ES512 by the EC key's curve, HS256 for {@code client_secret_jwt}.
         */
        public Builder assertionAlgorithm(String algorithm) {
            this.assertionAlgorithm = Objects.requireNonNull(algorithm, "algorithm");
            return this;
        }

        /**
         * The {@code aud} of client assertions: {@code token-endpoint} (default: the URL the
         * request goes to), {@code issuer}, or a literal value some IdPs require.
         */
        public Builder assertionAudience(String audience) {
            this.assertionAudience = Objects.requireNonNull(audience, "audience");
            return this;
        }

        /** How long an assertion is valid ({@code exp - iat}); 1 s to 1 h, default 60 s. */
        public Builder assertionLifetime(Duration lifetime) {
            this.assertionLifetime = Objects.requireNonNull(lifetime, "lifetime");
            return this;
        }

        /** The TLS client certificate for {@code tls_client_auth} / {@code self_signed_tls_client_auth}. */
        public Builder clientCertificate(ClientCertificate certificate) {
            this.clientCertificate = Objects.requireNonNull(certificate, "certificate");
            return this;
        }

        /** PEM CA certificates to trust for the IdP's TLS instead of the JDK's (e.g. a private CA). */
        public Builder trustedCertificates(java.nio.file.Path pemFile) {
            this.trustFile = Objects.requireNonNull(pemFile, "pemFile");
            return this;
        }

        /** The RFC 7009 revocation endpoint; default none, and {@link #revoke} then fails with BAD_CONFIGURATION. */
        public Builder revocationUrl(URI revocationUrl) {
            this.revocationUrl = Objects.requireNonNull(revocationUrl, "revocationUrl");
            return this;
        }

        /** How long to wait for a connection; 1 ms to {@code requestTimeout}, default {@link #DEFAULT_CONNECT_TIMEOUT}. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
            return this;
        }

        /**
         * The longest one exchange may take, connecting included, and the longest the server may
         * stay silent; 1 ms to 5 min, default {@link #DEFAULT_REQUEST_TIMEOUT}.
         */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
            return this;
        }

        /** The largest response body read; 1 KiB to 16 MiB, default {@link #DEFAULT_MAX_RESPONSE_BYTES}. */
        public Builder maxResponseBytes(int maxResponseBytes) {
            this.maxResponseBytes = maxResponseBytes;
            return this;
        }

        /** The longest token lifetime accepted; 1 s to 3650 days, default {@link #DEFAULT_MAX_EXPIRES_IN}. */
        public Builder maxExpiresIn(Duration maxExpiresIn) {
            this.maxExpiresIn = Objects.requireNonNull(maxExpiresIn, "maxExpiresIn");
            return this;
        }

        /**
         * The lifetime assumed for a token sent without {@code expires_in} that is not a JWT with
         * {@code exp}; 1 s to {@code maxExpiresIn}, default {@link #DEFAULT_LIFETIME}.
         */
        public Builder defaultLifetime(Duration defaultLifetime) {
            this.defaultLifetime = Objects.requireNonNull(defaultLifetime, "defaultLifetime");
            return this;
        }

        /**
         * The {@code token_type}s accepted, compared case-insensitively; default
         * {@link #DEFAULT_ACCEPTED_TOKEN_TYPES}. Add {@code DPoP} only if callers can send proofs.
         */
        public Builder acceptedTokenTypes(String... tokenTypes) {
            Objects.requireNonNull(tokenTypes, "tokenTypes");
            this.acceptedTokenTypes = Set.of(tokenTypes);
            return this;
        }

        /** An extra check of every token response; default none. */
        public Builder validator(TokenResponseValidator validator) {
            this.validator = Objects.requireNonNull(validator, "validator");
            return this;
        }

        /**
         * Allows {@code http} URLs to hosts that are not loopback. Default false: plain HTTP sends
         * the client secret and the tokens in clear text. Only for a trusted network, e.g. a sidecar.
         */
        public Builder allowInsecureHttp(boolean allowInsecureHttp) {
            this.allowInsecureHttp = allowInsecureHttp;
            return this;
        }

        /** The clock for a JWT's {@code exp} and for {@code Retry-After} dates; default the system clock. */
        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Sender-constrained tokens (RFC 9449): a proof signed with {@code dpop}'s key on every token
         * request, {@code use_dpop_nonce} answered once, and {@code DPoP} accepted as a token type
         * beside {@code Bearer} (unless {@link #acceptedTokenTypes} was set). Default none.
         */
        public Builder dpop(DpopProofs dpop) {
            this.dpop = Objects.requireNonNull(dpop, "dpop");
            return this;
        }

        /**
         * The Vert.x instance to create the web client on; it stays the caller's and is not closed.
         * Default: the endpoint creates and owns a small one (one event loop).
         */
        public Builder vertx(Vertx vertx) {
            this.vertx = Objects.requireNonNull(vertx, "vertx");
            return this;
        }

        /**
         * The web client to use; it stays the caller's and is not closed. Its own options apply
         * (e.g. proxy, TLS trust); the endpoint still sets per-request timeouts, never follows
         * redirects and caps the body.
         */
        public Builder webClient(WebClient webClient) {
            this.webClient = Objects.requireNonNull(webClient, "webClient");
            return this;
        }

        /**
         * The endpoint.
         *
         * @throws ConfigurationException listing every setting that is out of range, e.g. an
         *     {@code http} URL to a remote host
         */
        public VertxTokenEndpoint build() {
            if (vertx != null && webClient != null) {
                throw new ConfigurationException("set either vertx or webClient, not both: a web client already has its Vert.x");
            }
            if (webClient != null && (clientCertificate != null || trustFile != null)) {
                throw new ConfigurationException("clientCertificate and trustedCertificates configure the endpoint's own web "
                        + "client: with webClient, set the key and trust options on that client instead");
            }
            if (authentication.usesCertificate() && clientCertificate == null && webClient == null) {
                throw new ConfigurationException("clientCertificate must be set for " + authentication
                        + " (a PEM certificate and key, or PKCS#12)");
            }
            Set<String> types = dpop != null && acceptedTokenTypes == DEFAULT_ACCEPTED_TOKEN_TYPES
                    ? Set.of("Bearer", "DPoP") // the server may decline to bind (RFC 9449 §5): then it is a bearer token
                    : acceptedTokenTypes;
            EndpointConfig config = new EndpointConfig(tokenUrl, clientId, clientSecret, authentication, revocationUrl,
                    connectTimeout, requestTimeout, maxResponseBytes, maxExpiresIn, defaultLifetime, types,
                    validator, allowInsecureHttp, clock, issuer, new EndpointConfig.AuthOptions(assertionKey,
                            assertionAlgorithm, assertionAudience, assertionLifetime, clientCertificate, trustFile));
            List<String> problems = new ArrayList<>();
            if (jsonLoginUrl != null) {
                EndpointConfig.checkUrl("jsonLoginUrl", jsonLoginUrl, allowInsecureHttp, problems);
            }
            Duration read = ioTimeout("readTimeout", readTimeout, config.requestTimeout(), config.requestTimeout(), problems);
            Duration write = ioTimeout("writeTimeout", writeTimeout, config.requestTimeout(), config.requestTimeout(), problems);
            Duration pool = ioTimeout("poolTimeout", poolTimeout, config.connectTimeout(), config.requestTimeout(), problems);
            if (!problems.isEmpty()) {
                throw new ConfigurationException(problems);
            }
            return new VertxTokenEndpoint(config, vertx, webClient, dpop, jsonLoginUrl, new IoTimeouts(read, write, pool));
        }
    }
}
