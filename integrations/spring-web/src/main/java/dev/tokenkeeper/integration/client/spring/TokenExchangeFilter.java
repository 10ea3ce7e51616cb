package dev.tokenkeeper.integration.client.spring;

import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.AuthenticatedRequests;
import dev.tokenkeeper.domain.api.AuthenticatedRequests.Answer;
import dev.tokenkeeper.domain.api.AuthenticatedRequests.Attempt;
import dev.tokenkeeper.domain.api.Credentials;
import dev.tokenkeeper.domain.api.ProofOfPossession;
import dev.tokenkeeper.domain.api.Redirects;
import dev.tokenkeeper.domain.api.TokenProvider;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.client.reactive.ClientHttpRequest;
import org.springframework.http.client.reactive.ClientHttpRequestDecorator;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A Spring {@link ExchangeFilterFunction} for {@code WebClient} that authenticates every request
 * with an OAuth 2.0 access token from a {@link TokenProvider}.
 *
 * <pre>{@code
 * WebClient orders = WebClient.builder()
 *         .filter(TokenExchangeFilter.of(tokenManager, TokenKey.of("orders")))
 *         .build();
 * }</pre>
 *
 * <p>The rules (which answers reject the token, invalidation, one replay) are those of
 * {@link AuthenticatedRequests}. A WebClient body is a publisher that may not be subscribed twice,
 * so the body of the first attempt is kept as it is written, up to {@link #DEFAULT_REPLAY_BUFFER}
 * bytes (see {@link #of(TokenProvider, TokenKey, int)}), and a replay sends those bytes; a larger
 * or flushed streaming body is not kept and its request is not replayed (its 401 reaches the caller).
 *
 * <p>Redirects are followed here, hop by hop, by the rules of {@link Redirects}; the connector must
 * not follow them itself (Reactor Netty and the JDK connector do not, by default). The token goes
 * only to the addressed origin and never again once a redirect has left it.
 *
 * <p>It never blocks the thread it runs on (a Reactor Netty event loop): the token is fetched with
 * the provider's asynchronous API ({@link TokenProvider#tokenAsync}, so a cached token costs no
 * thread switch, and a missing one is fetched on the provider's threads), and a rejected token is
 * dropped with {@link TokenProvider#invalidateAsync}, which deletes it from a shared store off the
 * event loop. Each subscription is one request: one replay at most.
 *
 * <p>Immutable and thread-safe; its {@code toString} shows no token.
 */
public final class TokenExchangeFilter implements ExchangeFilterFunction {

    /** How many body bytes are kept for a replay by default. */
    public static final int DEFAULT_REPLAY_BUFFER = 256 * 1024;

    private final AuthenticatedRequests rules;
    private final int replayBuffer;

    private TokenExchangeFilter(AuthenticatedRequests rules, int replayBuffer) {
        this.rules = rules;
        this.replayBuffer = replayBuffer;
    }

    /** A filter adding tokens for {@code key} from {@code tokens}. */
    public static TokenExchangeFilter of(TokenProvider tokens, TokenKey key) {
        return of(tokens, key, DEFAULT_REPLAY_BUFFER);
    }

    /**
     * A filter adding tokens for {@code key} from {@code tokens}, keeping at most {@code replayBuffer}
     * bytes of a body for a replay.
     *
     * @throws IllegalArgumentException if {@code replayBuffer} is negative
     */
    public static TokenExchangeFilter of(TokenProvider tokens, TokenKey key, int replayBuffer) {
        return of(AuthenticatedRequests.of(tokens, key), replayBuffer);
    }

    /**
     * A filter authenticating by {@code rules}: with {@code Tokenkeeper.requests(client)}, a
     * DPoP-bound client's requests carry a proof per request and per redirect hop.
     */
    public static TokenExchangeFilter of(AuthenticatedRequests rules) {
        return of(rules, DEFAULT_REPLAY_BUFFER);
    }

    /**
     * A filter authenticating by {@code rules}, keeping at most {@code replayBuffer} bytes of a body
     * for a replay.
     *
     * @throws IllegalArgumentException if {@code replayBuffer} is negative
     */
    public static TokenExchangeFilter of(AuthenticatedRequests rules, int replayBuffer) {
        Objects.requireNonNull(rules, "rules");
        if (replayBuffer < 0) {
            throw new IllegalArgumentException("replayBuffer must be 0 or more bytes, was " + replayBuffer);
        }
        return new TokenExchangeFilter(rules, replayBuffer);
    }

    @Override
    public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
        Objects.requireNonNull(request, "request");
        return Mono.defer(() -> {
            Recorder recorder = new Recorder(replayBuffer);
            // repeatable is decided after the first attempt: only then is it known whether the body was kept
            return Mono.fromCompletionStage(() -> rules.executeAsync(request.method().name(), request.url(), recorder::kept,
                    new AuthenticatedRequests.AsyncExchange<Sent>() {
                        private boolean first = true;

                        @Override
                        public CompletableFuture<Sent> send(Attempt attempt) {
                            ClientRequest sent;
                            if (first) {
                                first = false;
                                sent = ClientRequest.from(request).body(recorder.recording(request.body())).build();
                            } else {
                                sent = ClientRequest.from(request).body(recorder.replaying()).build();
                            }
                            return hop(sent, request.url(), next, attempt.credentials(), true, Redirects.MAX_REDIRECTS)
                                    .toFuture();
                        }

                        @Override
                        public Answer answer(Sent sent) {
                            return new Answer(sent.response().statusCode().value(),
                                    sent.response().headers().header(HttpHeaders.WWW_AUTHENTICATE), sent.credentialed(),
                                    sent.response().headers().asHttpHeaders().getFirst(ProofOfPossession.DPOP_NONCE));
                        }

                        @Override
                        public void discard(Sent sent) {
                            sent.response().releaseBody().subscribe();
                        }
                    }).thenApply(Sent::response));
        });
    }

    private Mono<Sent> hop(ClientRequest request, URI addressed, ExchangeFunction next, Credentials credentials,
            boolean credentialed, int left) {
        ClientRequest.Builder b = ClientRequest.from(request).headers(h -> {
            credentials.headers().keySet().forEach(h::remove);
            if (credentialed) {
                credentials.headers().forEach(h::set);
            } else {
                h.remove(HttpHeaders.COOKIE);
            }
        });
        if (!credentialed) {
            b.cookies(c -> c.clear());
        }
        ClientRequest sent = b.build();
        return next.exchange(sent).flatMap(response -> {
            Optional<Redirects.Hop> hop = left <= 0 ? Optional.empty()
                    : Redirects.next(response.statusCode().value(), response.headers().asHttpHeaders().getFirst(HttpHeaders.LOCATION),
                            sent.url(), sent.method().name());
            if (hop.isEmpty()) {
                return Mono.just(new Sent(response, credentialed));
            }
            boolean keep = credentialed && Redirects.sameOrigin(addressed, hop.get().uri());
            ClientRequest.Builder following = ClientRequest.create(HttpMethod.valueOf(hop.get().method()), hop.get().uri())
                    .headers(h -> sent.headers().forEach((name, values) -> {
                        String lower = name.toLowerCase(Locale.ROOT);
                        if (!lower.equals("host") && !lower.equals("content-length")
                                && (hop.get().keepsBody() || !lower.startsWith("content-"))) {
                            h.addAll(name, values);
                        }
                    }))
                    .cookies(c -> c.addAll(sent.cookies()))
                    .attributes(a -> a.putAll(sent.attributes()));
            if (hop.get().keepsBody()) {
                following.body(sent.body());
            }
            return response.releaseBody()
                    .then(Mono.defer(() -> hop(following.build(), addressed, next,
                            keep ? credentials.at(hop.get().method(), hop.get().uri()) : credentials, // a DPoP proof names the hop
                            keep, left - 1)));
        });
    }

    private record Sent(ClientResponse response, boolean credentialed) {}

    /** Keeps the bytes of the first attempt's body, up to a limit, so that a replay can send them again. */
    private static final class Recorder {
        private final int limit;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private volatile boolean complete;
        private volatile boolean overflow;

        Recorder(int limit) {
            this.limit = limit;
        }

        boolean kept() {
            return complete && !overflow;
        }

        BodyInserter<?, ? super ClientHttpRequest> recording(BodyInserter<?, ? super ClientHttpRequest> original) {
            return (message, context) -> original.insert(new ClientHttpRequestDecorator(message) {
                @Override
                public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
                    return super.writeWith(Flux.from(body).doOnNext(this::keep).doOnComplete(() -> complete = true));
                }

                @Override
                public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
                    overflow = true; // a flushed stream: not kept
                    return super.writeAndFlushWith(body);
                }

                @Override
                public Mono<Void> setComplete() {
                    complete = true; // no body
                    return super.setComplete();
                }

                private void keep(DataBuffer buffer) {
                    synchronized (bytes) {
                        int n = buffer.readableByteCount();
                        if (overflow || bytes.size() + n > limit) {
                            overflow = true;
                            return;
                        }
                        byte[] copy = new byte[n];
                        buffer.toByteBuffer().get(copy);
                        bytes.write(copy, 0, n);
                    }
                }
            }, context);
        }

        BodyInserter<?, ? super ClientHttpRequest> replaying() {
            byte[] body;
            synchronized (bytes) {
                body = bytes.toByteArray();
            }
            return (message, context) -> body.length == 0 ? message.setComplete()
                    : message.writeWith(Mono.fromSupplier(() -> message.bufferFactory().wrap(body)));
        }
    }

    @Override
    public String toString() {
        return "TokenExchangeFilter[key=" + rules.key() + ", replayBuffer=" + replayBuffer + "]";
    }
}
