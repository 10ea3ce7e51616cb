package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.AuthenticatedRequests;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenEventListener;
import dev.tokenkeeper.domain.api.TokenProvider;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;

/**
 * A decorator of a Vert.x {@link WebClient} that authenticates every request with an OAuth 2.0
 * access token from a {@link TokenProvider}, so that business code never handles tokens.
 *
 * <pre>{@code
 * AuthenticatedWebClient orders = AuthenticatedWebClient.builder(webClient, tokenManager, TokenKey.of("orders", "orders.read"))
 *         .build();
 * Future<HttpResponse<Buffer>> page = orders.get("https://orders.example/api/orders?page=1");
 * Future<HttpResponse<Buffer>> created = orders.sendBuffer(
 *         orders.requestAbs(HttpMethod.POST, "https://orders.example/api/orders").putHeader("Content-Type", "application/json"),
 *         Buffer.buffer("{\"item\":42}"));
 * }</pre>
 *
 * <h2>What it does per request</h2>
 * <ol>
 *   <li>Asks the provider for the key's token ({@link TokenProvider#tokenAsync}: a cached token costs
 *       no I/O) and sends a copy of the request with {@code Authorization: Bearer <token>}.</li>
 *   <li>If the resource server rejects the token (by the rules shared with every client integration,
 *       {@link AuthenticatedRequests#rejects}: a 401 without another Bearer error, or an
 *       {@code invalid_token} challenge on any status but 403), it calls
 *       {@link TokenProvider#invalidate(TokenKey, AccessToken)} with the rejected token (which drops it
 *       only if it is still the current one, so that many concurrent rejections of one token cause
 *       one refresh, not many), gets a token again and replays the request <em>once</em>. Only an
 *       answer from the addressed origin to a request that carried the token counts (see
 *       <em>Redirects</em> below). Whatever
 *       the replay answers is the caller's answer; there is never a second replay. Replaying a
 *       non-idempotent request is safe here because a 401 means the server did not act on it.</li>
 *   <li>If no token can be had, the returned future fails with the provider's {@link TokenException}
 *       (its {@link TokenException#kind() kind} says why) and nothing is sent &mdash; unless a
 *       {@link Builder#fallbackHeader static fallback credential} is configured (off by default), in
 *       which case the request is sent with that header instead and a
 *       {@link TokenEvent.FallbackCredentialUsed} event is raised, every time.</li>
 * </ol>
 *
 * <h2>Replayable requests</h2>
 * A request is given as a template {@link HttpRequest} (method, absolute URI, query parameters,
 * headers, timeouts), usually built with {@link #requestAbs}, plus an optional body {@link Buffer}.
 * Each attempt sends a {@link HttpRequest#copy() copy} of the template and of the body, so the
 * caller's template is never changed and can be sent again. Streamed bodies are not accepted: they
 * could not be replayed. An {@code Authorization} header on the template is replaced.
 *
 * <h2>Redirects: the token stays with the addressed origin</h2>
 * The credential (the Bearer token, or the fallback header) is sent only to the origin the caller
 * addressed &mdash; scheme, host and port as written in the request (RFC 6454), hosts compared by
 * name, never by DNS. Redirects are therefore followed here, hop by hop, never by the wrapped
 * client:
 * <ul>
 *   <li>A redirect to the same origin is followed with the credential.</li>
 *   <li>A redirect to another origin (another host, another port, or {@code https} to {@code http})
 *       is followed <em>without</em> the credential, and without the caller's {@code Cookie} header;
 *       from then on nothing is sent with credentials in that chain, even if a later hop comes back to
 *       the addressed origin (as OkHttp, curl and Reactor Netty do). Whatever the other origin answers,
 *       a 401 included, is the caller's answer: it says nothing about the token, so it never causes an
 *       invalidation or a replay.</li>
 *   <li>Which redirects are followed is as in Vert.x's default: 301, 302, 307 and 308 for GET and
 *       HEAD, 303 for any method (as GET, the body dropped), at most 16
 *       per attempt; none when the template says {@link HttpRequest#followRedirects(boolean)
 *       followRedirects(false)} (the client's option is the template's default), nor when the
 *       template does not say its origin (a {@code UriTemplate}, or TLS left to the client's default):
 *       then the 3xx is the caller's answer. A custom redirect handler of the wrapped
 *       {@code HttpClient} is not used, and {@link HttpResponse#followedRedirects()} is empty.</li>
 * </ul>
 *
 * <h2>DPoP-bound tokens</h2>
 * With {@link Builder#dpop(DpopProofs)} (the same key the token endpoint uses), a token whose
 * {@code token_type} is {@code DPoP} is sent as {@code Authorization: DPoP <token>} with a fresh
 * {@code DPoP} proof for each request and each same-origin redirect hop ({@code htm}, {@code htu},
 * {@code ath} of the token, and the nonce the server last sent in {@code DPoP-Nonce}). A 401 whose
 * challenge says {@code use_dpop_nonce} is answered by one more request with a proof carrying the
 * new nonce, without dropping the token. A bearer token is still sent as Bearer. A DPoP token
 * without a configured key fails with {@link FailureKind#BAD_CONFIGURATION}, and nothing is sent.
 *
 * <h2>Threads</h2>
 * The returned futures complete on the Vert.x context of the caller when {@code send} is called on
 * one, otherwise on an event loop of the wrapped client. The provider's
 * {@link TokenProvider#invalidate(TokenKey, AccessToken) invalidate} may touch a shared store, so on an
 * event loop it runs as blocking code on the context's worker pool.
 *
 * <p>Immutable and thread-safe. It does not own the wrapped {@code WebClient} or the provider and
 * never closes them. Its {@code toString} shows neither tokens nor the fallback credential.
 */
public final class AuthenticatedWebClient {

    private static final String BEARER = "Bearer ";
    /** RFC 9110 §5.1 field-name: a token. */
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    private final WebClient webClient;
    private final TokenProvider tokens;
    private final TokenKey key;
    private final String fallbackHeader;
    private final Secret fallbackValue;
    private final TokenEventListener listener;
    private final DpopProofs dpop;

    private AuthenticatedWebClient(Builder b) {
        this.dpop = b.dpop;
        this.webClient = b.webClient;
        this.tokens = b.tokens;
        this.key = b.key;
        this.fallbackHeader = b.fallbackHeader;
        this.fallbackValue = b.fallbackValue;
        this.listener = b.listener;
    }

    /**
     * A builder of a client that sends requests through {@code webClient} with tokens for {@code key}.
     *
     * @param webClient the client that sends the requests; it stays the caller's
     * @param tokens where the tokens come from, usually the token manager
     * @param key which token to use
     */
    public static Builder builder(WebClient webClient, TokenProvider tokens, TokenKey key) {
        return new Builder(webClient, tokens, key);
    }

    /** The key whose tokens authenticate the requests. */
    public TokenKey key() {
        return key;
    }

    /**
     * A request template for {@code method} and the absolute {@code uri}, from the wrapped client;
     * add headers, query parameters or a timeout, then pass it to {@link #send} or {@link #sendBuffer}.
     */
    public HttpRequest<Buffer> requestAbs(HttpMethod method, String absoluteUri) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(absoluteUri, "absoluteUri");
        return webClient.requestAbs(method, absoluteUri);
    }

    /** Sends an authenticated GET to the absolute {@code uri}. */
    public Future<HttpResponse<Buffer>> get(String absoluteUri) {
        return send(requestAbs(HttpMethod.GET, absoluteUri));
    }

    /**
     * Sends a copy of {@code template}, without a body, authenticated as described in the class
     * comment.
     *
     * @return the resource server's answer (after at most one replay), or a failure: a
     *     {@link TokenException} if no token could be had and no fallback is configured, or the
     *     transport failure of the wrapped client
     */
    public Future<HttpResponse<Buffer>> send(HttpRequest<Buffer> template) {
        return exchange(Objects.requireNonNull(template, "template"), null);
    }

    /**
     * Sends a copy of {@code template} with {@code body}, authenticated as described in the class
     * comment; the body is copied for each attempt.
     *
     * @return as {@link #send(HttpRequest)}
     */
    public Future<HttpResponse<Buffer>> sendBuffer(HttpRequest<Buffer> template, Buffer body) {
        return exchange(Objects.requireNonNull(template, "template"), Objects.requireNonNull(body, "body"));
    }

    private Future<HttpResponse<Buffer>> exchange(HttpRequest<Buffer> template, Buffer body) {
        HttpRequest<Buffer> request = template.copy(); // later changes to the template do not leak in
        Context context = Vertx.currentContext();
        return token(context).transform(first -> {
            if (first.failed()) {
                return withFallback(request, body, first.cause());
            }
            AccessToken token = first.result();
            Credential credential;
            try {
                credential = credential(token);
            } catch (TokenException e) {
                return Future.failedFuture(e);
            }
            return sendWith(request, body, credential).compose(answer -> answer.credentialed()
                    && credential.dpopToken() != null && nonceChallenge(answer.response())
                    ? sendWith(request, body, credential) // once, with the nonce the challenge brought
                    : Future.succeededFuture(answer)).compose(answer -> {
                // only the addressed origin's verdict on the token counts: another origin's 401 says nothing about it
                if (!answer.credentialed() || !rejected(answer.response())) {
                    return Future.succeededFuture(answer.response());
                }
                return invalidate(token)
                        .compose(dropped -> token(Vertx.currentContext()))
                        .transform(second -> second.failed()
                                ? withFallback(request, body, second.cause())
                                : sendAgain(request, body, second.result()));
            });
        });
    }

    private Future<AccessToken> token(Context context) {
        CompletionStage<AccessToken> stage;
        try {
            stage = tokens.tokenAsync(key);
        } catch (RuntimeException e) { // a provider should fail the stage instead; cope anyway
            return Future.failedFuture(e);
        }
        return context == null ? Future.fromCompletionStage(stage) : Future.fromCompletionStage(stage, context);
    }

    /** Drops the rejected token if it is still current; never fails (a failure only costs a refresh). */
    private Future<Boolean> invalidate(AccessToken rejected) {
        Context context = Vertx.currentContext();
        if (context != null && Context.isOnEventLoopThread()) {
            return context.executeBlocking(() -> tokens.invalidate(key, rejected), false)
                    .otherwise(Boolean.FALSE);
        }
        try {
            return Future.succeededFuture(tokens.invalidate(key, rejected));
        } catch (RuntimeException e) {
            return Future.succeededFuture(Boolean.FALSE);
        }
    }

    private Future<HttpResponse<Buffer>> sendAgain(HttpRequest<Buffer> request, Buffer body, AccessToken token) {
        try {
            return sendWith(request, body, credential(token)).map(Answer::response);
        } catch (TokenException e) {
            return Future.failedFuture(e);
        }
    }

    /** The credential of {@code token}: DPoP with proofs if it is DPoP-bound, else Bearer. */
    private Credential credential(AccessToken token) {
        if (DpopProofs.isDpop(token.tokenType())) {
            if (dpop == null) {
                throw new TokenException(FailureKind.BAD_CONFIGURATION, "the token for " + key + " is DPoP-bound but this "
                        + "client has no DPoP key: build it with .dpop(...) and the key of its token endpoint");
            }
            return new Credential(HttpHeaders.AUTHORIZATION.toString(), "DPoP " + token.value().reveal(), token.value());
        }
        return new Credential(HttpHeaders.AUTHORIZATION.toString(), BEARER + token.value().reveal(), null);
    }

    /** Whether the resource server asks for a DPoP nonce (and sent one): {@link DpopProofs#asksForNonce}. */
    static boolean nonceChallenge(HttpResponse<?> response) {
        return DpopProofs.asksForNonce(response.statusCode(), response.getHeader("DPoP-Nonce"),
                response.headers().getAll("WWW-Authenticate"));
    }

    private Future<HttpResponse<Buffer>> withFallback(HttpRequest<Buffer> request, Buffer body, Throwable failure) {
        TokenException cause = asTokenException(failure);
        if (fallbackHeader == null) {
            return Future.failedFuture(cause);
        }
        try {
            listener.onEvent(new TokenEvent.FallbackCredentialUsed(key, cause.kind()));
        } catch (RuntimeException ignored) {
            // observation must never break the request
        }
        return sendWith(request, body, new Credential(fallbackHeader, fallbackValue.reveal(), null)).map(Answer::response);
    }

    /**
     * Sends {@code request} with {@code credential} and follows its redirects as the class comment
     * says: the credential goes only to the addressed origin, and never again once a redirect has
     * left it.
     */
    private Future<Answer> sendWith(HttpRequest<Buffer> request, Buffer body, Credential credential) {
        URI addressed = Redirects.addressed(request);
        int redirects = request.followRedirects() && addressed != null ? Redirects.MAX_REDIRECTS : 0;
        return hop(request.copy(), addressed, addressed, body, credential, true, redirects);
    }

    /** Sends one request of a redirect chain; {@code at} is its absolute URI (null if unknown). */
    private Future<Answer> hop(HttpRequest<Buffer> request, URI addressed, URI at, Buffer body, Credential credential,
            boolean credentialed, int redirectsLeft) {
        request.followRedirects(false); // each hop is decided here, never by the wrapped client
        request.headers().remove(HttpHeaders.AUTHORIZATION);
        request.headers().remove("DPoP");
        if (fallbackHeader != null) {
            request.headers().remove(fallbackHeader);
        }
        if (credentialed && credential.dpopToken() != null && at == null) {
            return Future.failedFuture(new TokenException(FailureKind.BAD_CONFIGURATION, "a DPoP proof needs the "
                    + "request's absolute URI: build the request with requestAbs"));
        }
        if (credentialed) {
            request.putHeader(credential.header(), credential.value());
            if (credential.dpopToken() != null) {
                // a fresh proof for this hop's method and URI
                request.putHeader("DPoP", dpop.proof(request.method().name(), at, credential.dpopToken()));
            }
        } else {
            request.headers().remove(HttpHeaders.COOKIE); // the caller's cookies are the addressed origin's too
        }
        Future<HttpResponse<Buffer>> sent = body == null ? request.send() : request.sendBuffer(body.copy());
        return sent.compose(response -> {
            if (credentialed && credential.dpopToken() != null && at != null) {
                dpop.rememberNonce(at, response.getHeader("DPoP-Nonce")); // RFC 9449 §9: for the next proof
            }
            Redirects.Next next = redirectsLeft > 0 ? Redirects.next(response, at, request.method()) : null;
            if (next == null) {
                return Future.succeededFuture(new Answer(response, credentialed));
            }
            HttpRequest<Buffer> following;
            try {
                following = Redirects.request(webClient, request, next);
            } catch (RuntimeException e) { // a Location the wrapped client cannot address: the 3xx is the answer
                return Future.succeededFuture(new Answer(response, credentialed));
            }
            boolean keep = credentialed && Redirects.sameOrigin(addressed, next.uri());
            return hop(following, addressed, next.uri(), next.keepsBody() ? body : null, credential, keep,
                    redirectsLeft - 1);
        });
    }

    private static TokenException asTokenException(Throwable t) {
        Throwable c = TokenException.unwrap(t);
        if (c instanceof TokenException te) {
            return te;
        }
        return new TokenException(FailureKind.NETWORK,
                "the token provider failed unexpectedly (" + c.getClass().getName() + ")", c);
    }

    /** Whether the resource server refused the token, by the shared rules ({@link AuthenticatedRequests#rejects}). */
    static boolean rejected(HttpResponse<?> response) {
        return AuthenticatedRequests.rejects(response.statusCode(), response.headers().getAll("WWW-Authenticate"));
    }

    /**
     * A header that authenticates: the Bearer or DPoP token, or the fallback credential; with the
     * DPoP-bound token ({@code dpopToken}, else null) each hop's proof is made for. Never shown.
     */
    private record Credential(String header, String value, Secret dpopToken) {
        @Override
        public String toString() {
            return "Credential[" + header + ": [redacted]]";
        }
    }

    /** The last response of a redirect chain, and whether its request carried the credential. */
    private record Answer(HttpResponse<Buffer> response, boolean credentialed) {}

    @Override
    public String toString() {
        return "AuthenticatedWebClient[key=" + key
                + (fallbackHeader == null ? "" : ", fallbackHeader=" + fallbackHeader + ": [redacted]") + "]";
    }

    /** Builds an {@link AuthenticatedWebClient}; not thread-safe, the client it builds is. */
    public static final class Builder {
        private final WebClient webClient;
        private final TokenProvider tokens;
        private final TokenKey key;
        private String fallbackHeader;
        private Secret fallbackValue;
        private TokenEventListener listener = TokenEventListener.NONE;
        private DpopProofs dpop;

        private Builder(WebClient webClient, TokenProvider tokens, TokenKey key) {
            this.webClient = Objects.requireNonNull(webClient, "webClient");
            this.tokens = Objects.requireNonNull(tokens, "tokens");
            this.key = Objects.requireNonNull(key, "key");
        }

        /**
         * A static credential (for example an API key a CLI was given) sent as header {@code name}
         * only when no token can be had; off by default. Each use raises a
         * {@link TokenEvent.FallbackCredentialUsed} on the {@link #listener listener}.
         *
         * @throws IllegalArgumentException if {@code name} is not an HTTP header name
         */
        public Builder fallbackHeader(String name, Secret value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            if (!HEADER_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("fallbackHeader: '" + name + "' is not an HTTP header name");
            }
            if (value.reveal().chars().anyMatch(c -> c == '\r' || c == '\n')) {
                throw new IllegalArgumentException("fallbackHeader: the value of " + name + " must not contain a line break");
            }
            this.fallbackHeader = name;
            this.fallbackValue = value;
            return this;
        }

        /** Receives {@link TokenEvent.FallbackCredentialUsed} events; default none. Must not block. */
        public Builder listener(TokenEventListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * The DPoP key of the token endpoint the tokens come from: DPoP-bound tokens are then sent
         * with proofs (see the class comment). Default none.
         */
        public Builder dpop(DpopProofs dpop) {
            this.dpop = Objects.requireNonNull(dpop, "dpop");
            return this;
        }

        /** The client. */
        public AuthenticatedWebClient build() {
            return new AuthenticatedWebClient(this);
        }
    }
}
