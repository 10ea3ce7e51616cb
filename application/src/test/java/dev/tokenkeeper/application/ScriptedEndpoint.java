package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.spi.TokenEndpoint;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * An in-process token endpoint for the manager's unit tests: it answers at once with a new token,
 * or holds its answer until the test releases it, or fails as told. It counts requests. (Real HTTP
 * endpoints are exercised by the adapter's and bootstrap's integration tests.)
 */
final class ScriptedEndpoint implements TokenEndpoint {

    private final AtomicInteger issued = new AtomicInteger();
    private final List<TokenRequest> requests = new CopyOnWriteArrayList<>();
    private final List<Long> requestNanos = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<CompletableFuture<TokenResponse>> held = new ConcurrentLinkedQueue<>();
    private volatile Duration lifetime = Duration.ofMinutes(10);
    private volatile boolean hold;
    private volatile Secret refreshToken;
    private volatile Duration refreshExpiresIn;
    private volatile Function<TokenRequest, TokenException> failure;

    /** Issue tokens of this lifetime. */
    ScriptedEndpoint lifetime(Duration lifetime) {
        this.lifetime = lifetime;
        return this;
    }

    /** Hold answers until {@link #releaseAll()}. */
    ScriptedEndpoint hold(boolean hold) {
        this.hold = hold;
        return this;
    }

    /** Send this refresh token with every answer. */
    ScriptedEndpoint refreshToken(String value) {
        this.refreshToken = value == null ? null : Secret.of(value);
        return this;
    }

    /** Send this refresh_expires_in with every answer's refresh token; null for none. */
    ScriptedEndpoint refreshExpiresIn(Duration d) {
        this.refreshExpiresIn = d;
        return this;
    }

    /** Fail requests for which {@code f} returns an exception; null to stop failing. */
    ScriptedEndpoint failWith(Function<TokenRequest, TokenException> f) {
        this.failure = f;
        return this;
    }

    private volatile long credentialsVersion;

    /** As a rotated client secret would: {@link #credentialsVersion()} moves. */
    void rotateCredentials() {
        credentialsVersion++;
    }

    @Override
    public long credentialsVersion() {
        return credentialsVersion;
    }

    ScriptedEndpoint failAll(FailureKind kind) {
        return failWith(r -> new TokenException(kind, "scripted " + kind));
    }

    @Override
    public CompletionStage<TokenResponse> request(TokenRequest request) {
        requestNanos.add(System.nanoTime());
        requests.add(request);
        Function<TokenRequest, TokenException> f = failure;
        TokenException error = f == null ? null : f.apply(request);
        if (error != null) {
            return CompletableFuture.failedFuture(error);
        }
        CompletableFuture<TokenResponse> answer = new CompletableFuture<>();
        if (hold) {
            held.add(answer);
        } else {
            answer.complete(next());
        }
        return answer;
    }

    /** Answers every held request, each with a new token. */
    int releaseAll() {
        int n = 0;
        CompletableFuture<TokenResponse> f;
        while ((f = held.poll()) != null) {
            f.complete(next());
            n++;
        }
        return n;
    }

    /** Answers the requests held now, not those their answers cause to be sent. */
    int releaseHeldNow() {
        List<CompletableFuture<TokenResponse>> now = new java.util.ArrayList<>();
        CompletableFuture<TokenResponse> f;
        while ((f = held.poll()) != null) {
            now.add(f);
        }
        now.forEach(answer -> answer.complete(next()));
        return now.size();
    }

    /** Fails every held request with {@code error}. */
    int failHeld(TokenException error) {
        int n = 0;
        CompletableFuture<TokenResponse> f;
        while ((f = held.poll()) != null) {
            f.completeExceptionally(error);
            n++;
        }
        return n;
    }

    int heldCount() {
        return held.size();
    }

    private TokenResponse next() {
        int n = issued.incrementAndGet();
        Secret rt = refreshToken;
        return new TokenResponse(Secret.of("access-token-" + n), "Bearer", lifetime, Set.of(), rt,
                rt == null ? null : refreshExpiresIn);
    }

    int requestCount() {
        return requests.size();
    }

    /** When each request arrived, by {@link System#nanoTime()}. */
    List<Long> requestNanos() {
        return requestNanos;
    }

    List<TokenRequest> requests() {
        return requests;
    }
}
