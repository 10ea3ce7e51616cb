package dev.tokenkeeper.domain.api;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
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
 * // a DPoP-bound client: proofs from its key (the bootstrap's Tokenkeeper.requests("orders") wires this)
 * AuthenticatedRequests bound = AuthenticatedRequests.of(tokenManager, key, dpopProofs);
 * }</pre>
 *
 * <h2>The rules</h2>
 * <ol>
 *   <li>The request is sent with the key's {@link Credentials} ({@code Authorization: Bearer …}; for a
 *       DPoP-bound token {@code Authorization: DPoP …} and a {@code DPoP} proof made for this request
 *       by the {@link ProofOfPossession} given to {@link #of(TokenProvider, TokenKey, ProofOfPossession)},
 *       carrying the nonce the origin last sent in {@code DPoP-Nonce}; without one, a DPoP-bound token
 *       is a configuration error and nothing is sent).</li>
 *   <li>A 401 that asks for a DPoP nonce ({@link ProofOfPossession#asksForNonce}, RFC 9449 §9) is no
 *       verdict on the token: if the request can be sent again it is, <em>once</em> per request, with a
 *       new proof carrying that nonce, and the token is kept. The origin's nonce is remembered for
 *       the next requests.</li>
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

    /** A DPoP challenge asking for a nonce (RFC 9449 §9): the pattern of {@link ProofOfPossession#asksForNonce}. */
    static final Pattern USE_DPOP_NONCE = Pattern.compile("(?i)\\bdpop\\b.*\\berror\\s*=\\s*\"?use_dpop_nonce\\b");

    /** How often a replay asks again when the provider still hands out the rejected token. */
    private static final int REFETCHES = 3;
    /** How many origins' nonces are remembered; more are forgotten all at once (a nonce is only a hint). */
    private static final int MAX_NONCES = 256;
    /** The longest nonce remembered. */
    private static final int MAX_NONCE_LENGTH = 1024;

    private final TokenProvider tokens;
    private final TokenKey key;
    private final ProofOfPossession proofs;
    /** The last {@code DPoP-Nonce} each origin sent, for the next proofs to it. */
    private final Map<String, String> nonces = new ConcurrentHashMap<>();

    private AuthenticatedRequests(TokenProvider tokens, TokenKey key, ProofOfPossession proofs) {
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.key = Objects.requireNonNull(key, "key");
        this.proofs = proofs;
    }

    /**
     * The rules for requests authenticated with Bearer tokens for {@code key} from {@code tokens}. A
     * DPoP-bound token is refused (a {@link TokenException}, nothing sent): it needs the
     * {@link #of(TokenProvider, TokenKey, ProofOfPossession) proofs} of its key.
     */
    public static AuthenticatedRequests of(TokenProvider tokens, TokenKey key) {
        return new AuthenticatedRequests(tokens, key, null);
    }

    /**
     * The rules for requests authenticated with tokens for {@code key} from {@code tokens}: a
     * DPoP-bound token goes with a proof per request from {@code proofs} (the key the token endpoint
     * binds the tokens to), a Bearer token as Bearer.
     */
    public static AuthenticatedRequests of(TokenProvider tokens, TokenKey key, ProofOfPossession proofs) {
        return new AuthenticatedRequests(tokens, key, Objects.requireNonNull(proofs, "proofs"));
    }

    /** The key whose tokens authenticate the requests. */
    public TokenKey key() {
        return key;
    }

    /**
     * The credentials for one request of {@code method} to {@code uri}, waiting (boundedly) for a
     * token if none is at hand. The method and URI are what a sender-constrained token's proof
     * (DPoP) signs, with the nonce {@code uri}'s origin last sent; a Bearer token ignores them.
     *
     * @throws TokenException if no token can be had, or it is DPoP-bound and these rules have no proofs
     */
    public Credentials credentials(String method, URI uri) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(uri, "uri");
        return credentialsOf(tokens.token(key), method, uri);
    }

    /**
     * The credentials of {@code token} for one request: Bearer, or DPoP with a proof for
     * {@code method} and {@code uri}. Without proofs a DPoP-bound token sent as Bearer would only be
     * refused, so it is a configuration error here, said plainly, and nothing is sent.
     */
    private Credentials credentialsOf(AccessToken token, String method, URI uri) {
        if (!ProofOfPossession.isDpop(token.tokenType())) {
            return Credentials.bearer(token);
        }
        if (proofs == null) {
            throw new TokenException(FailureKind.BAD_CONFIGURATION, "the token for " + key + " is DPoP-bound (RFC 9449) and "
                    + "needs a proof per request, but these requests were built without the client's DPoP key: build the "
                    + "integration from Tokenkeeper.requests(client) (or AuthenticatedRequests.of(tokens, key, proofs)), "
                    + "or use a client without DPoP");
        }
        try {
            return Credentials.dpop(token, proofs.headers(method, uri, token, nonces.get(origin(uri))),
                    (m, u) -> credentialsOf(token, m, u));
        } catch (IllegalArgumentException e) { // a relative URI, or a header value that cannot be sent
            throw new TokenException(FailureKind.BAD_CONFIGURATION, "no DPoP proof can be made for this request to "
                    + origin(uri) + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Remembers the nonce an answer of the addressed origin brought, for the next proofs there. */
    private void heard(URI uri, Credentials sent, Answer answer) {
        String nonce = answer.dpopNonce();
        if (!sent.provesPossession() || !answer.credentialed() || nonce == null || nonce.isBlank()
                || nonce.length() > MAX_NONCE_LENGTH) {
            return;
        }
        if (nonces.size() >= MAX_NONCES) {
            nonces.clear();
        }
        nonces.put(origin(uri), nonce.strip());
    }

    /** RFC 6454: scheme, host (lower case) and effective port. */
    private static String origin(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equals(scheme) ? 443 : "http".equals(scheme) ? 80 : -1;
        return scheme + "://" + host + ":" + port;
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
            return credentialsOf(token, method, uri);
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
    public record Answer(int status, List<String> challenges, boolean credentialed, String dpopNonce) {
        /**
         * @param status the status of the final answer (after any redirects the client followed)
         * @param challenges its {@code WWW-Authenticate} values
         * @param credentialed whether the request it answers carried the credentials, i.e. came from
         *     the addressed origin without having left it
         * @param dpopNonce its {@code DPoP-Nonce} header ({@link ProofOfPossession#DPOP_NONCE}), or null
         */
        public Answer {
            challenges = List.copyOf(challenges);
        }

        /** An answer without a {@code DPoP-Nonce} header (or from a client that sends no DPoP-bound tokens). */
        public Answer(int status, List<String> challenges, boolean credentialed) {
            this(status, challenges, credentialed, null);
        }

        /** Whether it asks for a DPoP nonce: {@link ProofOfPossession#asksForNonce}. */
        public boolean asksForNonce() {
            return ProofOfPossession.asksForNonce(status, dpopNonce, challenges);
        }
    }

    /**
     * One attempt of a request: its credentials, and whether a rejection of them (or a DPoP nonce
     * challenge) would be answered by sending the request again, so that an adapter can drop the
     * body of an answer that will not reach the caller.
     */
    public final class Attempt {
        private final Credentials credentials;
        private final BooleanSupplier replayable;
        private final boolean tokenReplayLeft;
        private final boolean nonceRetryLeft;

        private Attempt(Credentials credentials, BooleanSupplier replayable, boolean tokenReplayLeft, boolean nonceRetryLeft) {
            this.credentials = credentials;
            this.replayable = replayable;
            this.tokenReplayLeft = tokenReplayLeft;
            this.nonceRetryLeft = nonceRetryLeft;
        }

        /** The headers to send with this attempt (for a redirect hop within the origin: {@link Credentials#at}). */
        public Credentials credentials() {
            return credentials;
        }

        /** Whether an answer like this would be discarded and the request sent again. */
        public boolean willReplay(Answer answer) {
            return (tokenReplayLeft && answer.credentialed() && rejects(answer.status(), answer.challenges())
                    || retriesForNonce(answer)) && replayable.getAsBoolean();
        }

        /** Whether the request goes once more with a proof carrying the nonce this answer asks for. */
        private boolean retriesForNonce(Answer answer) {
            return nonceRetryLeft && credentials.provesPossession() && answer.credentialed() && answer.asksForNonce();
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
        BooleanSupplier replayable = () -> repeatable;
        Attempt attempt = new Attempt(credentials(method, uri), replayable, true, true);
        while (true) {
            R response = exchange.send(attempt);
            Answer answer = exchange.answer(response);
            heard(uri, attempt.credentials(), answer);
            if (repeatable && attempt.retriesForNonce(answer)) {
                // RFC 9449 §9: no verdict on the token; once more with a proof carrying the nonce just heard
                exchange.discard(response);
                attempt = new Attempt(attempt.credentials().at(method, uri), replayable, attempt.tokenReplayLeft, false);
                continue;
            }
            if (!attempt.tokenReplayLeft || !answer.credentialed() || !rejects(answer.status(), answer.challenges())) {
                return response;
            }
            rejected(attempt.credentials());
            if (!repeatable) {
                return response;
            }
            exchange.discard(response);
            attempt = new Attempt(fresh(method, uri, attempt.credentials()), replayable, false, attempt.nonceRetryLeft);
        }
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
        return credentialsAsync(method, uri).thenCompose(credentials ->
                attemptAsync(method, uri, repeatable, exchange, new Attempt(credentials, repeatable, true, true)));
    }

    private <R> CompletionStage<R> attemptAsync(String method, URI uri, BooleanSupplier repeatable, AsyncExchange<R> exchange,
            Attempt attempt) {
        return exchange.send(attempt).thenCompose(response -> {
            Answer answer = exchange.answer(response);
            heard(uri, attempt.credentials(), answer);
            if (attempt.retriesForNonce(answer) && repeatable.getAsBoolean()) {
                // RFC 9449 §9: no verdict on the token; once more with a proof carrying the nonce just heard
                exchange.discard(response);
                Credentials again;
                try {
                    again = attempt.credentials().at(method, uri);
                } catch (RuntimeException e) {
                    return CompletableFuture.failedFuture(asTokenException(e));
                }
                return attemptAsync(method, uri, repeatable, exchange,
                        new Attempt(again, repeatable, attempt.tokenReplayLeft, false));
            }
            if (!attempt.tokenReplayLeft || !answer.credentialed() || !rejects(answer.status(), answer.challenges())) {
                return CompletableFuture.completedFuture(response);
            }
            // the stages below may run on the client's event loop: the invalidation must not block it
            CompletionStage<Boolean> dropped = rejectedAsync(attempt.credentials());
            if (!repeatable.getAsBoolean()) {
                return dropped.thenApply(d -> response); // dropped before the caller sends the next request
            }
            exchange.discard(response);
            return dropped.thenCompose(d -> freshAsync(method, uri, attempt.credentials(), REFETCHES))
                    .thenCompose(fresh -> attemptAsync(method, uri, repeatable, exchange,
                            new Attempt(fresh, repeatable, false, attempt.nonceRetryLeft)));
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
