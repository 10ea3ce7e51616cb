package dev.tokenkeeper.integration.spring.boot;

import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.bootstrap.persistence.ReconnectingStore;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenStatus;
import dev.tokenkeeper.domain.spi.StoreKey;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * tokenkeeper's readiness as an Actuator health indicator, with the sidecar's semantics
 * ({@code /health/ready}): UP when the store answers and every client is ready; a client is ready
 * when it holds a valid token, DOWN with the failure kind when it has none and its last acquisition
 * failed or its breaker is open, and, when it has no token and no acquisition yet, after asking for
 * one (single flight: joins one already running), waiting at most {@link #PROBE_TIMEOUT}. It never
 * causes a login storm. DOWN ({@code STOPPING}) once the application is shutting down. The details
 * name each client and the failure kind, never a secret. Put it in the readiness group with
 * {@code management.endpoint.health.group.readiness.include=readinessState,tokenkeeper}.
 */
public final class TokenkeeperHealthIndicator implements HealthIndicator {

    /** A readiness probe must answer well inside an orchestrator's probe timeout (1 s by default in Kubernetes). */
    static final Duration PROBE_TIMEOUT = Duration.ofMillis(800);
    private static final StoreKey PROBE_KEY = new StoreKey("tokenkeeper-readiness-probe");

    private final Tokenkeeper tokenkeeper;
    private final AtomicBoolean stopping = new AtomicBoolean();

    TokenkeeperHealthIndicator(Tokenkeeper tokenkeeper) {
        this.tokenkeeper = tokenkeeper;
    }

    /** From now on the indicator says DOWN (STOPPING): the application is shutting down. */
    void stopping() {
        stopping.set(true);
    }

    @Override
    public Health health() {
        if (stopping.get()) {
            return Health.down().withDetail("status", "STOPPING").build();
        }
        boolean up = true;
        Map<String, Object> clients = new LinkedHashMap<>();
        String store = storeState();
        up &= store.equals("UP");
        for (TokenkeeperConfig.ClientConfig c : tokenkeeper.config().clientList()) {
            Map<String, String> state = client(c.name(), c.key());
            clients.put(c.name(), state);
            up &= "UP".equals(state.get("status"));
        }
        return (up ? Health.up() : Health.down()).withDetail("store", store).withDetail("clients", clients).build();
    }

    private String storeState() {
        try {
            if (tokenkeeper.store() instanceof ReconnectingStore r && !r.connected()) {
                return "DOWN";
            }
            tokenkeeper.store().load(PROBE_KEY);
            return "UP";
        } catch (RuntimeException e) {
            return "DOWN";
        }
    }

    private Map<String, String> client(String name, TokenKey key) {
        TokenStatus status = tokenkeeper.provider().status(key);
        if (status.isValid()) {
            return Map.of("status", "UP", "check", "valid_token");
        }
        if (status.lastError() != null) {
            return down(status.lastError());
        }
        if (tokenkeeper.manager().circuitState(name) == TokenEvent.CircuitState.OPEN) {
            return down(FailureKind.CIRCUIT_OPEN);
        }
        try {
            tokenkeeper.provider().tokenAsync(key).toCompletableFuture().get(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return Map.of("status", "UP", "check", "acquired");
        } catch (ExecutionException e) {
            return e.getCause() instanceof TokenException te ? down(te.kind()) : down(FailureKind.NETWORK);
        } catch (TimeoutException e) {
            return Map.of("status", "DOWN", "kind", "TIMEOUT");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of("status", "DOWN", "kind", "INTERRUPTED");
        } catch (RuntimeException e) {
            return down(FailureKind.NETWORK);
        }
    }

    private static Map<String, String> down(FailureKind kind) {
        return Map.of("status", "DOWN", "kind", kind.name());
    }
}
