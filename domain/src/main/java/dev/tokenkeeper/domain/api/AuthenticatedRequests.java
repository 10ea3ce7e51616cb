package dev.tokenkeeper.domain.api;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place where the rules of an authenticated HTTP request live, shared by every client
 * adapter (JDK {@code HttpClient}, OkHttp, Spring {@code RestClient} and {@code WebClient}): each
 * adapter only translates its client's request and response into the {@link Exchange} below.
 *
 * <pre>{@code
 * AuthenticatedRequests orders = AuthenticatedRequests.of(tokenManager, TokenKey.of("orders", "orders.read"));
 * // code with its own client: the header values for one request
 * orders.credentials("GET", uri).headers().forEach(request::setHeader);
 * }</pre>
 *
 * <h2>The rules</h2>
 * <ol>
 *   <li>The request is sent with the key's {@link Credentials} ({@code Authorization: Bearer …}).</li>
 *   <li>The token counts as rejected only when the answer comes from the addressed origin to a
 *       request that carried the credentials (not after a redirect to another origin: that
 *       origin's 401 says nothing about the token), with status 401 and either no Bearer error or
 *       {@code error="invalid_token"} (RFC 6750 §3.1), or an {@code invalid_token} challenge on
 *       another status (some servers use 400). A 403, {@code insufficient_scope} or any other
 *       error is the caller's answer as it is: a new token would not change it.</li>
 *   <li>A rejected token is {@link TokenProvider#invalidate(TokenKey, AccessToken) invalidated only
 *       if it is still the current one}, so that many concurrent rejections of one token cause one
 *       refresh, not many. The asynchronous forms drop it with {@link TokenProvider#invalidateAsync}, so
 *       that a client's event loop never waits for a shared store.</li>
 *   <li>Then, if the request can be replayed (no body, or a body that can be sent again), it is
 *       sent <em>once</em> more with a fresh token (never the rejected one: a provider still handing it out is asked again, a few times at most) and whatever that answers is the caller's
 *       answer; there is never a second replay. Replaying a non-idempotent request is safe because
 *       a 401 means the server did not act on it. A request whose body cannot be sent again is not
 *       replayed: its 401 reaches the caller (and the next request gets the fresh token).</li>
 *   <li>If no token can be had, nothing is sent and the provider's {@link TokenException} is thrown
 *       (or fails the stage).</li>
 * </ol>
 * Which origin the credentials may go to on redirects is in {@link Redirects}; an adapter whose
 * client follows redirects itself reports with {@link Answer#credentialed()} whether the final
 * answer's request still carried them.
 *
 * <p>Immutable and thread-safe; it does not own the provider. Its {@code toString} shows no token.
 */
public final class AuthenticatedRequests {

    /** A Bearer (RFC 6750 §3) or DPoP (RFC 9449 §7.1) challenge's {@code error} attribute, if any. */
    private static final Pattern BEARER_ERROR =
            Pattern.compile("(?i)\\b(?:bearer|dpop)\\b.*?\\berror\\s*=\\s*\"?([A-Za-z_]+)");

    /** How often a replay asks again when the provider still hands out the rejected token. */
    private static final int REFETCHES = 3;

    private final TokenProvider tokens;
    private final TokenKey key;

    private AuthenticatedRequests(TokenProvider tokens, TokenKey key) {
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.key = Objects.requireNonNull(key, "key");
    }

    /** The rules for requests authenticated with tokens for {@code key} from {@code tokens}. */
    public static AuthenticatedRequests of(TokenProvider tokens, TokenKey key) {
        return new AuthenticatedRequests(tokens, key);
    }

    /** The key whose tokens authenticate the requests. */
    public TokenKey key() {
        return key;
    }

    /**
     * The credentials for one request of {@code method} to {@code uri}, waiting (boundedly) for a
     * token if none is at hand. The method and URI are what a sender-constrained token (DPoP) will
     * sign; a Bearer token ignores them.
     *
     * @throws TokenException if no token can be had
     */
    public Credentials credentials(String method, URI uri) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(uri, "uri");
        return credentialsOf(tokens.token(key));
    }

    /**
     * The Bearer credentials of {@code token}. A DPoP-bound token needs a proof signed for each
     * request, which these credentials cannot make yet: sent as Bearer it would only be refused, so
     * it is a configuration error here, said plainly, and nothing is sent.
     */
    private Credentials credentialsOf(AccessToken token) {
        if ("DPoP".equalsIgnoreCase(token.tokenType())) {
            throw new TokenException(FailureKind.BAD_CONFIGURATION, "the token for " + key + " is DPoP-bound (RFC 9449) and "
                    + "needs a proof per request, which this HTTP client integration cannot make yet; use the Vert.x "
                    + "AuthenticatedWebClient with a DPoP key (Builder.dpop) for this client, or a client without DPoP");
        }
        return Credentials.bearer(token);
    }

    /** The asynchronous form of {@link #credentials}; the stage fails with a {@link TokenException}. */
    public CompletionStage<Credentials> credentialsAsync(String method, URI uri) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(uri, "uri");
        CompletionStage<AccessToken> stage;
        try {
            stage = tokens.tokenAsync(key);
        } catch (RuntimeException e) { // a provider should fail the stage instead; cope anyway
            return CompletableFuture.failedFuture(asTokenException(e));
        }
        return stage.handle((token, failure) -> {
            if (failure != null) {
                throw asTokenException(failure);
            }
            return credentialsOf(token);
        });
    }

    /**
     * Whether an answer of {@code status} with these {@code WWW-Authenticate} values rejects the
     * token: a 401 with no Bearer error or with {@code invalid_token}, or a Bearer
     * {@code invalid_token} challenge on another status (some servers send it with a 400). Never a
     * 403, and never another Bearer error such as {@code insufficient_scope}: a new token would not
     * change those answers.
     */
    public static boolean rejects(int status, List<String> challenges) {
        if (status == 403) {
            return false;
        }
        boolean invalidToken = false;
        for (String challenge : challenges) {
            Matcher m = BEARER_ERROR.matcher(challenge);
            if (m.find()) {
                if (!m.group(1).equalsIgnoreCase("invalid_token")) {
                    return false; // e.g. insufficient_scope or invalid_request
                }
                invalidToken = true;
            }
        }
        return status == 401 || invalidToken;
    }

    /**
     * Reports that the resource server refused {@code rejected}: the provider drops it only if it is
     * still the current token. Never fails (a failure only costs a refresh later).
     *
     * @return whether the rejected token was current and has been dropped
     */
    public boolean rejected(Credentials rejected) {
        try {
            return tokens.invalidate(key, rejected.token());
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * The asynchronous form of {@link #rejected(Credentials)}, for a thread that must not block:
     * dropping a token may delete it from a shared store ({@link TokenProvider#invalidateAsync}).
     * The stage completes once it is dropped everywhere and never fails.
     */
    public CompletionStage<Boolean> rejectedAsync(Credentials rejected) {
        try {
            return tokens.invalidateAsync(key, rejected.token()).exceptionally(e -> Boolean.FALSE);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(Boolean.FALSE);
        }
    }

    /** How a resource server answered one attempt, as far as the rules need to know. */
    public record Answer(int status, List<String> challenges, boolean credentialed) {
        /**
         * @param status the status of the final answer (after any redirects the client followed)
         * @param challenges its {@code WWW-Authenticate} values
         * @param credentialed whether the request it answers carried the credentials, i.e. came from
         *     the addressed origin without having left it
         */
        public Answer {
            challenges = List.copyOf(challenges);
        }
    }

    /**
     * One attempt of a request: its credentials, and whether a rejection of them would be
     * replayed, so that an adapter can drop the body of an answer that will not reach the caller.
     */
    public final class Attempt {
        private final Credentials credentials;
        private final BooleanSupplier replayable;

        private Attempt(Credentials credentials, BooleanSupplier replayable) {
            this.credentials = credentials;
            this.replayable = replayable;
        }

        /** The headers to send with this attempt. */
        public Credentials credentials() {
            return credentials;
        }

        /** Whether an answer like this would be discarded and the request replayed. */
        public boolean willReplay(Answer answer) {
            return answer.credentialed() && rejects(answer.status(), answer.challenges()) && replayable.getAsBoolean();
        }

        @Override
        public String toString() {
            return "Attempt[" + credentials + "]";
        }
    }

    /**
     * How an adapter sends one attempt of a request through its client and reads the answer.
     *
     * @param <R> the client's response type
     */
    public interface Exchange<R> {
        /** Sends the request with the attempt's credentials (replacing any {@code Authorization} header). */
        R send(Attempt attempt) throws IOException;

        /** What the rules need to know of a response. */
        Answer answer(R response);

        /** Releases a response that will not reach the caller (it is about to be replayed). */
        void discard(R response);
    }

    /** The asynchronous form of {@link Exchange}. */
    public interface AsyncExchange<R> {
        /** Sends the request with the attempt's credentials (replacing any {@code Authorization} header). */
        CompletionStage<R> send(Attempt attempt);

        /** What the rules need to know of a response. */
        Answer answer(R response);

        /** Releases a response that will not reach the caller (it is about to be replayed). */
        void discard(R response);
    }

    /**
     * Runs one request by the rules: sends it with credentials and, if the token is rejected,
     * invalidates it and (if {@code repeatable}) replays the request once with a fresh token.
     *
     * @param method the request's method
     * @param uri the addressed URI
     * @param repeatable whether the request's body (if any) can be sent again
     * @return the answer the caller gets
     * @throws TokenException if no token can be had
     * @throws IOException as the client's send throws it
     */
    public <R> R execute(String method, URI uri, boolean repeatable, Exchange<R> exchange) throws IOException {
        Objects.requireNonNull(exchange, "exchange");
        Attempt first = new Attempt(credentials(method, uri), () -> repeatable);
        R response = exchange.send(first);
        Answer answer = exchange.answer(response);
        if (!answer.credentialed() || !rejects(answer.status(), answer.challenges())) {
            return response;
        }
        rejected(first.credentials());
        if (!repeatable) {
            return response;
        }
        exchange.discard(response);
        return exchange.send(new Attempt(fresh(method, uri, first.credentials()), () -> false));
    }

    /** The asynchronous form of {@link #execute}; the stage fails as {@code execute} throws. */
    public <R> CompletionStage<R> executeAsync(String method, URI uri, boolean repeatable, AsyncExchange<R> exchange) {
        return executeAsync(method, uri, () -> repeatable, exchange);
    }

    /**
     * As {@link #executeAsync(String, URI, boolean, AsyncExchange)}, for a client that knows only
     * after the first attempt whether its body could be sent again (it kept a copy while sending):
     * {@code repeatable} is asked once the first answer is in.
     */
    public <R> CompletionStage<R> executeAsync(String method, URI uri, BooleanSupplier repeatable,
            AsyncExchange<R> exchange) {
        Objects.requireNonNull(exchange, "exchange");
        Objects.requireNonNull(repeatable, "repeatable");
        return credentialsAsync(method, uri).thenCompose(credentials -> {
            Attempt first = new Attempt(credentials, repeatable);
            return exchange.send(first).thenCompose(response -> {
                Answer answer = exchange.answer(response);
                if (!answer.credentialed() || !rejects(answer.status(), answer.challenges())) {
                    return CompletableFuture.completedFuture(response);
                }
                // the stages below may run on the client's event loop: the invalidation must not block it
                CompletionStage<Boolean> dropped = rejectedAsync(first.credentials());
                if (!repeatable.getAsBoolean()) {
                    return dropped.thenApply(d -> response); // dropped before the caller sends the next request
                }
                exchange.discard(response);
                return dropped.thenCompose(d -> freshAsync(method, uri, first.credentials(), REFETCHES))
                        .thenCompose(fresh -> exchange.send(new Attempt(fresh, () -> false)));
            });
        });
    }

    /**
     * Credentials with a token other than the rejected one. A provider may still hand out the
     * rejected token for a moment (another caller reloaded it from a shared store before the
     * invalidation reached there); it is dropped again and asked for anew, a few times at most.
     */
    private Credentials fresh(String method, URI uri, Credentials rejected) {
        Credentials fresh = credentials(method, uri);
        for (int i = 0; i < REFETCHES && fresh.token().sameValueAs(rejected.token()); i++) {
            rejected(rejected);
            fresh = credentials(method, uri);
        }
        return fresh;
    }

    private CompletionStage<Credentials> freshAsync(String method, URI uri, Credentials rejected, int left) {
        return credentialsAsync(method, uri).thenCompose(fresh -> {
            if (left == 0 || !fresh.token().sameValueAs(rejected.token())) {
                return CompletableFuture.completedFuture(fresh);
            }
            return rejectedAsync(rejected).thenCompose(d -> freshAsync(method, uri, rejected, left - 1));
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

    @Override
    public String toString() {
        return "AuthenticatedRequests[key=" + key + "]";
    }
}
