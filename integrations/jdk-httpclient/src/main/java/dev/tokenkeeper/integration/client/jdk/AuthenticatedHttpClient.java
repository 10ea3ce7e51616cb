package dev.tokenkeeper.integration.client.jdk;

import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.AuthenticatedRequests;
import dev.tokenkeeper.domain.api.AuthenticatedRequests.Answer;
import dev.tokenkeeper.domain.api.AuthenticatedRequests.Attempt;
import dev.tokenkeeper.domain.api.Credentials;
import dev.tokenkeeper.domain.api.ProofOfPossession;
import dev.tokenkeeper.domain.api.Redirects;
import dev.tokenkeeper.domain.api.TokenProvider;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A JDK {@link HttpClient} that authenticates every request with an OAuth 2.0 access token from a
 * {@link TokenProvider}; business code keeps calling {@code send}/{@code sendAsync} and never
 * handles tokens. The JDK client has no interceptors, so this is a delegating client (the
 * convention): requests go through the wrapped client, which the caller keeps owning.
 *
 * <pre>{@code
 * HttpClient orders = AuthenticatedHttpClient.builder(HttpClient.newHttpClient(), tokenManager, TokenKey.of("orders"))
 *         .followRedirects(HttpClient.Redirect.NORMAL)
 *         .build();
 * HttpResponse<String> page = orders.send(HttpRequest.newBuilder(URI.create("https://orders.example/api")).build(),
 *         HttpResponse.BodyHandlers.ofString());
 * // a DPoP-bound client (clients.orders.dpop=true): the rules from the Tokenkeeper carry its proofs
 * HttpClient bound = AuthenticatedHttpClient.builder(HttpClient.newHttpClient(), tokenkeeper.requests("orders")).build();
 * }</pre>
 *
 * <p>The rules (which answers reject the token, invalidation, one replay) are those of
 * {@link AuthenticatedRequests}. A request is replayed only if its body can be sent again: none,
 * or one of the JDK's own in-memory or file publishers ({@code ofString}, {@code ofByteArray},
 * {@code ofFile}, {@code noBody}); {@code ofInputStream} and {@code fromPublisher} bodies are not
 * (override with {@link Builder#repeatableWhen}). An answer that will not reach the caller (a
 * rejected attempt about to be replayed, or a redirect) is not given to the caller's body handler.
 *
 * <p>Redirects are followed here, hop by hop, by the {@link Builder#followRedirects policy given to
 * this client} and the rules of {@link Redirects}: the token goes only to the addressed origin,
 * and never again once a redirect has left it; the caller's {@code Cookie} header is dropped there
 * too. The wrapped client must therefore not follow redirects itself ({@code Redirect.NEVER}, the
 * JDK's default). A DPoP-bound token gets a new proof for each hop within the addressed origin
 * ({@link Credentials#at}); the proof goes nowhere else. WebSockets are not offered: they would not
 * carry the token.
 *
 * <p>Thread-safe. Its {@code toString} shows no token.
 */
public final class AuthenticatedHttpClient extends HttpClient {

    /** The JDK's own publishers that hand out the same bytes to each subscriber. */
    private static final Set<String> REPEATABLE_PUBLISHERS = Set.of("ByteArrayPublisher", "StringPublisher",
            "FilePublisher", "EmptyPublisher", "ByteArraysPublisher", "AggregatePublisher");
    private static final Set<String> NOT_COPIED = Set.of("authorization", "host", "content-length", "connection",
            "expect", "upgrade");

    private final HttpClient delegate;
    private final AuthenticatedRequests rules;
    private final Redirect redirect;
    private final Predicate<HttpRequest> repeatable;

    private AuthenticatedHttpClient(Builder b) {
        this.delegate = b.delegate;
        this.rules = b.rules;
        this.redirect = b.redirect;
        this.repeatable = b.repeatable;
    }

    /**
     * A builder of a client that sends through {@code delegate} with tokens for {@code key}.
     *
     * @param delegate the client that sends; it must not follow redirects itself (the JDK's default)
     * @param tokens where tokens come from, usually the token manager
     * @param key which token to use
     */
    public static Builder builder(HttpClient delegate, TokenProvider tokens, TokenKey key) {
        return new Builder(delegate, AuthenticatedRequests.of(tokens, key));
    }

    /**
     * A builder of a client that sends through {@code delegate} by {@code rules}: with
     * {@code Tokenkeeper.requests(client)}, a DPoP-bound client's requests carry their proofs.
     *
     * @param delegate the client that sends; it must not follow redirects itself (the JDK's default)
     * @param rules the requests' rules, with the provider, key and proofs they authenticate with
     */
    public static Builder builder(HttpClient delegate, AuthenticatedRequests rules) {
        return new Builder(delegate, rules);
    }

    /** Whether the JDK client can send this request's body again: none, or one of its own repeatable publishers. */
    static boolean repeatableByDefault(HttpRequest request) {
        Optional<HttpRequest.BodyPublisher> body = request.bodyPublisher();
        if (body.isEmpty() || body.get().contentLength() == 0) {
            return true;
        }
        Class<?> type = body.get().getClass();
        String name = type.getName();
        return name.startsWith("jdk.internal.net.http.RequestPublishers$")
                && REPEATABLE_PUBLISHERS.contains(type.getSimpleName());
    }

    /**
     * Sends {@code request} authenticated.
     *
     * @throws TokenException if no token can be had (nothing is sent)
     */
    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(handler, "handler");
        try {
            return rules.execute(request.method(), request.uri(), repeatable.test(request),
                    new AuthenticatedRequests.Exchange<Sent<T>>() {
                        @Override
                        public Sent<T> send(Attempt attempt) throws IOException {
                            try {
                                return chain(request, handler, attempt);
                            } catch (InterruptedException e) {
                                throw new Interrupted(e);
                            }
                        }

                        @Override
                        public Answer answer(Sent<T> sent) {
                            return sent.answer();
                        }

                        @Override
                        public void discard(Sent<T> sent) {
                            // its body was never handed to the caller's handler
                        }
                    }).response();
        } catch (Interrupted e) {
            throw (InterruptedException) e.getCause();
        }
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(handler, "handler");
        return rules.executeAsync(request.method(), request.uri(), repeatable.test(request),
                new AuthenticatedRequests.AsyncExchange<Sent<T>>() {
                    @Override
                    public CompletableFuture<Sent<T>> send(Attempt attempt) {
                        URI addressed = request.uri();
                        return hopAsync(first(request, attempt.credentials()), addressed, addressed, request.method(),
                                request.bodyPublisher().orElse(null), handler, attempt, true, redirectsAllowed());
                    }

                    @Override
                    public Answer answer(Sent<T> sent) {
                        return sent.answer();
                    }

                    @Override
                    public void discard(Sent<T> sent) {
                        // its body was never handed to the caller's handler
                    }
                }).thenApply(Sent::response).toCompletableFuture();
    }

    /** Push promises would come from the server unasked and carry no token of ours; they are refused. */
    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
            HttpResponse.PushPromiseHandler<T> pushPromiseHandler) {
        return sendAsync(request, handler);
    }

    private int redirectsAllowed() {
        return redirect == Redirect.NEVER ? 0 : Redirects.MAX_REDIRECTS;
    }

    private <T> Sent<T> chain(HttpRequest request, HttpResponse.BodyHandler<T> handler, Attempt attempt)
            throws IOException, InterruptedException {
        URI addressed = request.uri();
        URI at = addressed;
        String method = request.method();
        HttpRequest.BodyPublisher body = request.bodyPublisher().orElse(null);
        HttpRequest current = first(request, attempt.credentials());
        boolean credentialed = true;
        for (int left = redirectsAllowed(); ; left--) {
            Step step = new Step(at, method, left, credentialed, attempt);
            HttpResponse<T> response = delegate.send(current, step.handler(handler));
            Optional<Redirects.Hop> next = step.follow(response.statusCode(), response.headers());
            if (next.isEmpty()) {
                return new Sent<>(response, credentialed);
            }
            credentialed = credentialed && Redirects.sameOrigin(addressed, next.get().uri());
            current = following(current, next.get(), body, attempt.credentials(), credentialed);
            at = next.get().uri();
            method = next.get().method();
        }
    }

    private <T> CompletableFuture<Sent<T>> hopAsync(HttpRequest current, URI addressed, URI at, String method,
            HttpRequest.BodyPublisher body, HttpResponse.BodyHandler<T> handler, Attempt attempt, boolean credentialed,
            int left) {
        Step step = new Step(at, method, left, credentialed, attempt);
        return delegate.sendAsync(current, step.handler(handler)).thenCompose(response -> {
            Optional<Redirects.Hop> next = step.follow(response.statusCode(), response.headers());
            if (next.isEmpty()) {
                return CompletableFuture.completedFuture(new Sent<>(response, credentialed));
            }
            boolean keep = credentialed && Redirects.sameOrigin(addressed, next.get().uri());
            return hopAsync(following(current, next.get(), body, attempt.credentials(), keep), addressed,
                    next.get().uri(), next.get().method(), body, handler, attempt, keep, left - 1);
        });
    }

    /** One hop: whether its answer is followed or replayed (then its body is dropped), or is the caller's. */
    private final class Step {
        private final URI at;
        private final String method;
        private final int redirectsLeft;
        private final boolean credentialed;
        private final Attempt attempt;

        Step(URI at, String method, int redirectsLeft, boolean credentialed, Attempt attempt) {
            this.at = at;
            this.method = method;
            this.redirectsLeft = redirectsLeft;
            this.credentialed = credentialed;
            this.attempt = attempt;
        }

        Optional<Redirects.Hop> follow(int status, HttpHeaders headers) {
            if (redirectsLeft <= 0) {
                return Optional.empty();
            }
            Optional<Redirects.Hop> next = Redirects.next(status, headers.firstValue("Location").orElse(null), at, method);
            if (next.isPresent() && redirect == Redirect.NORMAL && "https".equalsIgnoreCase(at.getScheme())
                    && !"https".equalsIgnoreCase(next.get().uri().getScheme())) {
                return Optional.empty(); // NORMAL never downgrades to http
            }
            return next;
        }

        <T> HttpResponse.BodyHandler<T> handler(HttpResponse.BodyHandler<T> caller) {
            return info -> {
                boolean passedOn = follow(info.statusCode(), info.headers()).isPresent()
                        || attempt.willReplay(new Answer(info.statusCode(), info.headers().allValues("WWW-Authenticate"),
                                credentialed, info.headers().firstValue(ProofOfPossession.DPOP_NONCE).orElse(null)));
                return passedOn ? HttpResponse.BodySubscribers.replacing(null) : caller.apply(info);
            };
        }
    }

    private static HttpRequest first(HttpRequest request, Credentials credentials) {
        HttpRequest.Builder b = HttpRequest.newBuilder(request, (name, value) -> !isCredentialHeader(name, credentials));
        credentials.headers().forEach(b::setHeader);
        return b.build();
    }

    private static boolean isCredentialHeader(String name, Credentials credentials) {
        return credentials.headers().keySet().stream().anyMatch(name::equalsIgnoreCase);
    }

    private HttpRequest following(HttpRequest previous, Redirects.Hop next, HttpRequest.BodyPublisher body,
            Credentials credentials, boolean credentialed) {
        HttpRequest.Builder b = HttpRequest.newBuilder(next.uri())
                .method(next.method(), next.keepsBody() && body != null ? body : HttpRequest.BodyPublishers.noBody())
                .expectContinue(previous.expectContinue());
        previous.timeout().ifPresent(b::timeout);
        previous.version().ifPresent(b::version);
        previous.headers().map().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (NOT_COPIED.contains(lower) || isCredentialHeader(name, credentials)
                    || !credentialed && lower.equals("cookie")
                    || !next.keepsBody() && (lower.equals("content-type") || lower.equals("content-encoding"))) {
                return;
            }
            values.forEach(v -> b.header(name, v));
        });
        if (credentialed) {
            credentials.at(next.method(), next.uri()).headers().forEach(b::setHeader); // a DPoP proof names the hop
        }
        return b.build();
    }

    /** The final answer of one attempt, and whether its request carried the credentials. */
    private record Sent<T>(HttpResponse<T> response, boolean credentialed) {
        Answer answer() {
            return new Answer(response.statusCode(), response.headers().allValues("WWW-Authenticate"), credentialed,
                    response.headers().firstValue(ProofOfPossession.DPOP_NONCE).orElse(null));
        }
    }

    /** Carries an interruption through the shared rules, which only know IOException. */
    private static final class Interrupted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Interrupted(InterruptedException cause) {
            super(cause);
        }
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return delegate.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return delegate.connectTimeout();
    }

    /** The redirect policy this client follows (the wrapped one's is {@code NEVER}). */
    @Override
    public Redirect followRedirects() {
        return redirect;
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return delegate.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return delegate.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return delegate.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return delegate.authenticator();
    }

    @Override
    public Version version() {
        return delegate.version();
    }

    @Override
    public Optional<Executor> executor() {
        return delegate.executor();
    }

    @Override
    public String toString() {
        return "AuthenticatedHttpClient[key=" + rules.key() + ", redirects=" + redirect + "]";
    }

    /** Builds an {@link AuthenticatedHttpClient}; not thread-safe, the client it builds is. */
    public static final class Builder {
        private final HttpClient delegate;
        private final AuthenticatedRequests rules;
        private Redirect redirect = Redirect.NEVER;
        private Predicate<HttpRequest> repeatable = AuthenticatedHttpClient::repeatableByDefault;

        private Builder(HttpClient delegate, AuthenticatedRequests rules) {
            this.delegate = Objects.requireNonNull(delegate, "delegate");
            this.rules = Objects.requireNonNull(rules, "rules");
        }

        /** Which redirects this client follows (default {@code NEVER}, as the JDK's). */
        public Builder followRedirects(Redirect redirect) {
            this.redirect = Objects.requireNonNull(redirect, "redirect");
            return this;
        }

        /**
         * Decides which requests may be replayed after a rejected token, i.e. whose body can be sent
         * again (default: no body, or one of the JDK's in-memory or file publishers).
         */
        public Builder repeatableWhen(Predicate<HttpRequest> repeatable) {
            this.repeatable = Objects.requireNonNull(repeatable, "repeatable");
            return this;
        }

        /**
         * The client.
         *
         * @throws IllegalArgumentException if the wrapped client follows redirects itself: it would
         *     carry the token to wherever a redirect points
         */
        public AuthenticatedHttpClient build() {
            if (delegate.followRedirects() != Redirect.NEVER) {
                throw new IllegalArgumentException("the wrapped HttpClient follows redirects (" + delegate.followRedirects()
                        + ") and would carry the token to other origins: build it with Redirect.NEVER and set the "
                        + "policy here, with AuthenticatedHttpClient.builder(...).followRedirects(...)");
            }
            return new AuthenticatedHttpClient(this);
        }
    }
}
