package dev.tokenkeeper.application;

import dev.failsafe.CircuitBreaker;
import dev.failsafe.CircuitBreakerOpenException;
import dev.failsafe.Failsafe;
import dev.failsafe.Policy;
import dev.failsafe.RetryPolicy;
import dev.failsafe.Timeout;
import dev.failsafe.TimeoutExceededException;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenEventListener;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs grants under Failsafe: deadline ∘ retry ∘ circuit breaker ∘ attempt timeout, outermost
 * first. Failsafe stays inside this package-private class; callers see {@link Resilience} and
 * {@link TokenException}s only.
 *
 * <p>Every failed attempt counts toward the client's breaker, permanent ones too (a client whose
 * every key is refused must not keep knocking), except {@code invalid_grant}, which says a refresh
 * token is spent, not that the endpoint or the client is in trouble. A retry whose pause (a
 * server's {@code Retry-After}) would not end before the grant's deadline is not attempted, and a
 * deadline that runs out during a pause reports the failure that caused the pause: a long
 * {@code Retry-After} surfaces as {@link FailureKind#RATE_LIMITED}, not as a timeout.
 */
final class FailsafeGrants implements GrantExecutor {

    private final Resilience settings;
    private final ScheduledExecutorService scheduler;
    private final Ticker ticker;
    private final TokenEventListener listener;
    private final Map<String, CircuitBreaker<TokenResponse>> breakers = new ConcurrentHashMap<>();
    /** The kind of the last failure each client's breaker counted, for the CIRCUIT_OPEN message. */
    private final Map<String, FailureKind> lastCounted = new ConcurrentHashMap<>();

    /**
     * Retry pauses and timeouts run on {@code scheduler}, and the deadline is measured on
     * {@code ticker}, so both follow injected time; the breaker's open delay does not (Failsafe's
     * circuit breaker reads {@link System#nanoTime()} itself and takes no clock).
     */
    FailsafeGrants(Resilience settings, ScheduledExecutorService scheduler, Ticker ticker, TokenEventListener listener) {
        this.settings = settings;
        this.scheduler = scheduler;
        this.ticker = ticker;
        this.listener = listener;
    }

    @Override
    public CompletableFuture<TokenResponse> execute(ClientRegistration client, TokenRequest request, GrantCall call) {
        long deadlineNanos = ticker.read() + settings.deadline().toNanos();
        List<Policy<TokenResponse>> policies = new ArrayList<>(4);
        policies.add(Timeout.<TokenResponse>builder(settings.deadline()).withInterrupt().build());
        if (settings.retry().maxAttempts() > 1) {
            policies.add(retryPolicy(call, deadlineNanos));
        }
        CircuitBreaker<TokenResponse> breaker = settings.breakerEnabled() ? breaker(client.name()) : null;
        if (breaker != null) {
            policies.add(breaker);
        }
        policies.add(Timeout.<TokenResponse>builder(settings.attemptTimeout()).withInterrupt().build());
        return Failsafe.with(policies)
                .with(scheduler)
                .getStageAsync(() -> {
                    call.attemptStarted();
                    // Failsafe stops waiting when an attempt times out but cannot abort the exchange:
                    // the endpoint's own request timeout must not be longer than the attempt timeout
                    // (bootstrap aligns them; see Resilience#attemptTimeout)
                    return client.endpoint().request(request);
                })
                .handle((response, error) -> {
                    if (error != null) {
                        TokenException paused = call.waitingAfter();
                        if (paused != null && TokenException.unwrap(error) instanceof TimeoutExceededException) {
                            // the deadline ran out between attempts: the cause is the last failure
                            throw new CompletionException(deadlineDuringPause(paused));
                        }
                        throw new CompletionException(classify(error, client.name(), breaker, lastCounted));
                    }
                    return response;
                });
    }

    private TokenException deadlineDuringPause(TokenException last) {
        return new TokenException(last.kind(), last.getMessage() + "; no further attempt: the grant's deadline of "
                + settings.deadline().toMillis() + " ms ran out while waiting to try again", last,
                last.retryAfter().orElse(null), last.httpStatus().orElse(0), last.oauthError().orElse(null));
    }

    /**
     * Whether {@code failure} gets another attempt: retryable, and the pause it asks for (a server's
     * Retry-After, as the strategy honours it) ends before the deadline.
     */
    private boolean retries(TokenException failure, long deadlineNanos) {
        if (!settings.retry().isRetryable(failure)) {
            return false;
        }
        Duration asked = failure.retryAfter().orElse(Duration.ZERO);
        Duration cap = settings.retry().maxRetryAfter();
        Duration pause = asked.compareTo(cap) > 0 ? cap : asked;
        return ticker.read() + pause.toNanos() - deadlineNanos < 0;
    }

    private RetryPolicy<TokenResponse> retryPolicy(GrantCall call, long deadlineNanos) {
        return RetryPolicy.<TokenResponse>builder()
                .handleIf((result, error) -> error != null && retries(classify(error, null, null), deadlineNanos))
                .withMaxAttempts(settings.retry().maxAttempts())
                .withDelayFn(ctx -> settings.retry().delay(
                        ctx.getAttemptCount(), classify(ctx.getLastException(), null, null), ThreadLocalRandom.current()))
                .onFailedAttempt(e -> {
                    TokenException te = classify(e.getLastException(), null, null);
                    boolean more = e.getAttemptCount() < settings.retry().maxAttempts() && retries(te, deadlineNanos);
                    if (more) {
                        call.waitingToRetryAfter(te);
                    }
                    call.listener.onEvent(new TokenEvent.AttemptFailed(
                            call.key, call.grantType, te.kind(), e.getAttemptCount(), more ? Duration.ZERO : null));
                })
                .build();
    }

    private CircuitBreaker<TokenResponse> breaker(String client) {
        return breakers.computeIfAbsent(client, name -> CircuitBreaker.<TokenResponse>builder()
                .handleIf((result, error) -> error != null && classify(error, null, null).kind() != FailureKind.INVALID_GRANT)
                .onFailure(e -> {
                    if (e.getException() != null) {
                        lastCounted.put(name, classify(e.getException(), null, null).kind());
                    }
                })
                .withFailureThreshold(settings.breakerFailureThreshold())
                .withDelay(settings.breakerOpenDelay())
                .withSuccessThreshold(settings.breakerSuccessThreshold())
                .onOpen(e -> changed(name, e.getPreviousState(), TokenEvent.CircuitState.OPEN))
                .onHalfOpen(e -> changed(name, e.getPreviousState(), TokenEvent.CircuitState.HALF_OPEN))
                .onClose(e -> changed(name, e.getPreviousState(), TokenEvent.CircuitState.CLOSED))
                .build());
    }

    /** The breaker state of {@code client}: closed if it has none yet. */
    TokenEvent.CircuitState state(String client) {
        CircuitBreaker<TokenResponse> b = breakers.get(client);
        return b == null ? TokenEvent.CircuitState.CLOSED : map(b.getState());
    }

    private void changed(String client, CircuitBreaker.State from, TokenEvent.CircuitState to) {
        listener.onEvent(new TokenEvent.CircuitStateChanged(client, map(from), to));
    }

    private static TokenEvent.CircuitState map(CircuitBreaker.State s) {
        return switch (s) {
            case CLOSED -> TokenEvent.CircuitState.CLOSED;
            case OPEN -> TokenEvent.CircuitState.OPEN;
            case HALF_OPEN -> TokenEvent.CircuitState.HALF_OPEN;
        };
    }

    /** Turns whatever an attempt ended with into the failure model. */
    static TokenException classify(Throwable error, String client, CircuitBreaker<?> breaker) {
        return classify(error, client, breaker, Map.of());
    }

    private static TokenException classify(
            Throwable error, String client, CircuitBreaker<?> breaker, Map<String, FailureKind> lastCounted) {
        Throwable c = TokenException.unwrap(error);
        if (c instanceof CircuitBreakerOpenException open) {
            Duration wait = open.getCircuitBreaker().getRemainingDelay();
            FailureKind last = client == null ? null : lastCounted.get(client);
            return new TokenException(
                    FailureKind.CIRCUIT_OPEN,
                    "the circuit breaker for client '" + (client == null ? "?" : client)
                            + "' is open after repeated failures of its token endpoint"
                            + (last == null ? "" : " (the last: " + last + ")") + "; no request was sent; "
                            + "it will try again in " + Math.max(1, wait.toSeconds()) + " s",
                    null,
                    wait,
                    0,
                    null);
        }
        if (c instanceof TimeoutExceededException) {
            return new TokenException(FailureKind.TIMEOUT, "the token endpoint did not answer in time", c);
        }
        return Failures.toTokenException(c);
    }
}
