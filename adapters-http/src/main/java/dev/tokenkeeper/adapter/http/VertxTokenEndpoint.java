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
    /** Where the password grant goes as a JSON login, or null for the OAuth password grant. */
    private final URI jsonLoginUrl;
    private final String jsonLoginDisplay;

    /** The read, write and pool-wait timeouts (issue 12); see the builder's {@code ioTimeouts}. */
    private record IoTimeouts(Duration read, Duration write, Duration pool) {}

    private final IoTimeouts io;

    private VertxTokenEndpoint(EndpointConfig config, Vertx vertx, WebClient webClient, URI jsonLoginUrl, IoTimeouts io) {
        this.config = config;
        this.io = io;
        this.jsonLoginUrl = jsonLoginUrl;
        this.jsonLoginDisplay = jsonLoginUrl == null ? null : EndpointConfig.display(jsonLoginUrl);
        this.parser = new TokenResponseParser(config);
        this.credentials = Credentials.of(config.clientId(), config.clientSecret().current(), 0);
        this.tokenUrl = EndpointConfig.display(config.tokenUrl());
        this.revocationUrl = config.revocationUrl() == null ? null : EndpointConfig.display(config.revocationUrl());
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
                    .setReadIdleTimeout((int) io.read().toMillis())
                    .setWriteIdleTimeout((int) io.write().toMillis())
                    .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                    .setFollowRedirects(false)
                    .setDecompressionSupported(false)
                    .setUserAgent(USER_AGENT);
            this.webClient = WebClient.create(vertx != null ? vertx : ownedVertx, options);
            this.ownsWebClient = true;
        }
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
        static Credentials of(String clientId, Secret secret, long version) {
            String id = formEncode(clientId);
            String encoded = formEncode(secret.reveal());
            String basic = Base64.getEncoder().encodeToString((id + ":" + encoded).getBytes(StandardCharsets.UTF_8));
            return new Credentials(secret, "Basic " + basic, Redactor.of(List.of(secret.reveal(), basic)), version);
        }
    }

    /** The credentials for the secret the source gives now (one cheap check per request). */
    private Credentials credentials() {
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
        return credentials().version();
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
        return withRotation(() -> {
            Credentials c = credentials();
            Redactor redactor = c.redactor().with(grantValues);
            return exchange(config.tokenUrl(), tokenUrl, what, form, c, redactor,
                    response -> parser.parse(what, tokenUrl, response.statusCode(), response.body(), redactor));
        });
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
        return exchange(jsonLoginUrl, jsonLoginDisplay, what, List.of(), null, redactor,
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
                    && config.clientSecret().reload()) {
                return send.get(); // reload read a few bytes from a file: cheap enough for the event loop
            }
            return CompletableFuture.failedFuture(cause);
        });
    }

    @Override
    public CompletionStage<Void> revoke(Secret token, String tokenTypeHint) {
        Objects.requireNonNull(token, "token");
        if (config.revocationUrl() == null) {
            return TokenEndpoint.super.revoke(token, tokenTypeHint);
        }
        List<String[]> form = new ArrayList<>();
        form.add(new String[] {"token", token.reveal()});
        if (tokenTypeHint != null && !tokenTypeHint.isBlank()) {
            form.add(new String[] {"token_type_hint", tokenTypeHint});
        }
        return withRotation(() -> {
            Credentials c = credentials();
            return exchange(config.revocationUrl(), revocationUrl, "revocation request", form, c,
                    c.redactor().with(List.of(token.reveal())), response -> null);
        });
    }

    /**
     * Sends one form POST with client authentication and hands a 2xx answer to {@code onSuccess};
     * everything else becomes a {@link TokenException}.
     */
    private <T> CompletionStage<T> exchange(URI url, String displayUrl, String what, List<String[]> form,
            Credentials credentials, Redactor redactor, Function<HttpResponse<Buffer>, T> onSuccess) {
        return exchange(url, displayUrl, what, form, credentials, redactor, onSuccess, null);
    }

    /**
     * Like the form exchange, or, when {@code json} is not null, one POST of that JSON object
     * without client authentication (a JSON login endpoint authenticates the user, not a client).
     */
    private <T> CompletionStage<T> exchange(URI url, String displayUrl, String what, List<String[]> form,
            Credentials credentials, Redactor redactor, Function<HttpResponse<Buffer>, T> onSuccess, JsonObject json) {
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
                .idleTimeout(io.read().toMillis())
                .putHeader("Accept", "application/json")
                .putHeader("Content-Type", json != null ? "application/json" : "application/x-www-form-urlencoded");
        if (json == null) { // a JSON login authenticates the user: no client credentials
            switch (config.authentication()) {
                case CLIENT_SECRET_BASIC -> http.putHeader("Authorization", credentials.basic());
                case CLIENT_SECRET_POST -> {
                    body.add(new String[] {"client_id", config.clientId()});
                    body.add(new String[] {"client_secret", credentials.secret().reveal()});
                }
                case NONE -> body.add(new String[] {"client_id", config.clientId()});
            }
        }
        Future<HttpResponse<Buffer>> sent;
        try {
            sent = http.sendBuffer(json != null ? Buffer.buffer(json.encode()) : Buffer.buffer(formEncode(body)));
        } catch (RuntimeException e) { // e.g. the caller's WebClient or Vertx is already closed
            return CompletableFuture.failedFuture(HttpFailures.transport(what, displayUrl, e, redactor));
        }
        sent.onComplete(ar -> {
            if (answer.isDone()) {
                return;
            }
            if (ar.failed()) {
                answer.completeExceptionally(HttpFailures.transport(what, displayUrl, ar.cause(), redactor));
                return;
            }
            HttpResponse<Buffer> response = ar.result();
            try {
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    answer.complete(onSuccess.apply(response));
                } else {
                    answer.completeExceptionally(HttpFailures.errorResponse(what, displayUrl, status,
                            response.getHeader("Retry-After"), response.body(), redactor, config.clock()));
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
        return "VertxTokenEndpoint[tokenUrl=" + tokenUrl + ", clientId=" + config.clientId() + ", authentication="
                + config.authentication() + (revocationUrl == null ? "" : ", revocationUrl=" + revocationUrl) + "]";
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
            // a public client has no secret; the credentials machinery gets a random stand-in it never sends
            SecretSource secret = clientSecret == null && authentication == ClientAuthentication.NONE
                    ? SecretSource.of(Secret.of("no-client-secret-" + java.util.UUID.randomUUID()))
                    : clientSecret;
            EndpointConfig config = new EndpointConfig(tokenUrl, clientId, secret, authentication, revocationUrl,
                    connectTimeout, requestTimeout, maxResponseBytes, maxExpiresIn, defaultLifetime, acceptedTokenTypes,
                    validator, allowInsecureHttp, clock);
            if (jsonLoginUrl != null) {
                List<String> problems = new ArrayList<>();
                EndpointConfig.checkUrl("jsonLoginUrl", jsonLoginUrl, allowInsecureHttp, problems);
                if (!problems.isEmpty()) {
                    throw new ConfigurationException(problems);
                }
            }
            List<String> problems = new ArrayList<>();
            Duration read = ioTimeout("readTimeout", readTimeout, config.requestTimeout(), config.requestTimeout(), problems);
            Duration write = ioTimeout("writeTimeout", writeTimeout, config.requestTimeout(), config.requestTimeout(), problems);
            Duration pool = ioTimeout("poolTimeout", poolTimeout, config.connectTimeout(), config.requestTimeout(), problems);
            if (!problems.isEmpty()) {
                throw new ConfigurationException(problems);
            }
            return new VertxTokenEndpoint(config, vertx, webClient, jsonLoginUrl, new IoTimeouts(read, write, pool));
        }
    }
}
