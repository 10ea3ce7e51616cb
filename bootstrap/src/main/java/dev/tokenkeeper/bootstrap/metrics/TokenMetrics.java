package dev.tokenkeeper.bootstrap.metrics;

import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenEventListener;
import dev.tokenkeeper.domain.api.TokenStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns token events into Micrometer meters, and publishes gauges of a manager's state.
 *
 * <table>
 *   <caption>Meters (Prometheus names in brackets)</caption>
 *   <tr><td>{@code tokenkeeper.acquisitions} [{@code tokenkeeper_acquisitions_total}]</td>
 *       <td>client, grant, outcome (success|failure), kind (none or the failure kind), background</td></tr>
 *   <tr><td>{@code tokenkeeper.acquisition.latency} [{@code tokenkeeper_acquisition_latency_seconds}]</td>
 *       <td>timer; client, outcome</td></tr>
 *   <tr><td>{@code tokenkeeper.attempt.failures}</td><td>client, kind</td></tr>
 *   <tr><td>{@code tokenkeeper.cache.misses}</td><td>client, reason</td></tr>
 *   <tr><td>{@code tokenkeeper.cache.hits}</td><td>no tags: the manager counts hits, not per client</td></tr>
 *   <tr><td>{@code tokenkeeper.store.hits}</td><td>client</td></tr>
 *   <tr><td>{@code tokenkeeper.store.failures}</td><td>client, operation</td></tr>
 *   <tr><td>{@code tokenkeeper.store.corrupt}</td><td>client</td></tr>
 *   <tr><td>{@code tokenkeeper.lease}</td><td>client, outcome (won|lost|wait_timed_out)</td></tr>
 *   <tr><td>{@code tokenkeeper.refreshes.scheduled}</td><td>client</td></tr>
 *   <tr><td>{@code tokenkeeper.invalidations}</td><td>client, rejected</td></tr>
 *   <tr><td>{@code tokenkeeper.fallback.used}</td><td>client, cause</td></tr>
 *   <tr><td>{@code tokenkeeper.circuit.transitions}</td><td>client, to</td></tr>
 *   <tr><td>{@code tokenkeeper.token.expires.in} (gauge, seconds; NaN without a token)</td><td>client</td></tr>
 *   <tr><td>{@code tokenkeeper.token.valid} (gauge, 1 or 0)</td><td>client</td></tr>
 *   <tr><td>{@code tokenkeeper.circuit.state} (gauge, 1 for the current state, 0 for the others)</td>
 *       <td>client, state (closed|open|half_open)</td></tr>
 * </table>
 *
 * <p>Tags are bounded: a client that is not one of the configured {@code clients} is tagged
 * {@value #OTHER}; every other tag takes its values from an enum or a fixed list. The error class
 * of a store failure is deliberately not a tag (logs have it).
 *
 * <p>Thread-safe; {@link #onEvent} never throws (the manager swallows exceptions anyway).
 */
public final class TokenMetrics implements TokenEventListener {

    /** The client tag for an event about a client that is not configured. */
    public static final String OTHER = "other";

    private final MeterRegistry registry;
    private final Set<String> clients;
    // Micrometer de-duplicates meters itself; this saves the builder and the tag sort per event
    private final Map<Meterkey, Counter> counters = new ConcurrentHashMap<>();

    /**
     * @param registry where the meters go
     * @param clients the configured client names: the only values of the {@code client} tag besides {@value #OTHER}
     */
    public TokenMetrics(MeterRegistry registry, Set<String> clients) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.clients = Set.copyOf(Objects.requireNonNull(clients, "clients"));
    }

    /** The registry the meters are in. */
    public MeterRegistry registry() {
        return registry;
    }

    @Override
    public void onEvent(TokenEvent event) {
        record(event);
    }

    /**
     * Counts {@code event}; false only for an event type without a branch here, which a test rules
     * out for every type {@link TokenEvent} permits.
     */
    boolean record(TokenEvent event) {
        String client = clients.contains(event.client()) ? event.client() : OTHER;
        if (event instanceof TokenEvent.AcquisitionSucceeded e) {
            count("tokenkeeper.acquisitions", "Grants that ended, by outcome",
                    "client", client, "grant", grant(e.grantType()), "outcome", "success", "kind", "none",
                    "background", String.valueOf(e.background()));
            latency(client, "success", e.latency());
        } else if (event instanceof TokenEvent.AcquisitionFailed e) {
            count("tokenkeeper.acquisitions", "Grants that ended, by outcome",
                    "client", client, "grant", grant(e.grantType()), "outcome", "failure", "kind", e.kind().name(),
                    "background", String.valueOf(e.background()));
            latency(client, "failure", e.latency());
        } else if (event instanceof TokenEvent.AttemptFailed e) {
            count("tokenkeeper.attempt.failures", "Single grant attempts that failed", "client", client,
                    "kind", e.kind().name());
        } else if (event instanceof TokenEvent.CacheMiss e) {
            count("tokenkeeper.cache.misses", "Calls that found no servable token in the near cache",
                    "client", client, "reason", e.reason().name().toLowerCase(Locale.ROOT));
        } else if (event instanceof TokenEvent.StoreHit) {
            count("tokenkeeper.store.hits", "Misses served from the shared store", "client", client);
        } else if (event instanceof TokenEvent.StoreFailed e) {
            count("tokenkeeper.store.failures", "Store calls that failed (the manager carried on without the store)",
                    "client", client, "operation", operation(e.operation()));
        } else if (event instanceof TokenEvent.CorruptEntry) {
            count("tokenkeeper.store.corrupt", "Stored entries that could not be opened", "client", client);
        } else if (event instanceof TokenEvent.LeaseWon) {
            lease(client, "won");
        } else if (event instanceof TokenEvent.LeaseLost) {
            lease(client, "lost");
        } else if (event instanceof TokenEvent.LeaseWaitTimedOut) {
            lease(client, "wait_timed_out");
        } else if (event instanceof TokenEvent.RefreshScheduled) {
            count("tokenkeeper.refreshes.scheduled", "Background refreshes started", "client", client);
        } else if (event instanceof TokenEvent.TokenInvalidated e) {
            count("tokenkeeper.invalidations", "Tokens dropped", "client", client, "rejected", String.valueOf(e.rejected()));
        } else if (event instanceof TokenEvent.FallbackCredentialUsed e) {
            count("tokenkeeper.fallback.used", "Calls that fell back to the static credential", "client", client,
                    "cause", e.cause().name());
        } else if (event instanceof TokenEvent.CircuitStateChanged e) {
            count("tokenkeeper.circuit.transitions", "Circuit breaker state changes", "client", client,
                    "to", e.to().name().toLowerCase(Locale.ROOT));
        } else if (event instanceof TokenEvent.AcquisitionStarted) {
            // not counted: every grant ends as AcquisitionSucceeded or AcquisitionFailed, which are
        } else {
            return false;
        }
        return true;
    }

    /**
     * Registers the gauges of {@code manager}'s state for each configured key, and its hit counter.
     * Gauges read the manager when scraped; nothing runs in between.
     *
     * @param keys the key to report per client name (the client's configured scopes)
     * @param clock the clock that decides seconds-to-expiry (the manager's)
     */
    public void bind(TokenManager manager, Map<String, TokenKey> keys, InstantSource clock) {
        Objects.requireNonNull(manager, "manager");
        Objects.requireNonNull(clock, "clock");
        FunctionCounter.builder("tokenkeeper.cache.hits", manager, m -> m.stats().hits())
                .description("Calls served from the near cache")
                .register(registry);
        keys.forEach((client, key) -> {
            Gauge.builder("tokenkeeper.token.expires.in", manager, m -> secondsLeft(m.status(key), clock))
                    .description("Seconds until the client's current token expires (NaN without a token)")
                    .baseUnit("seconds")
                    .tag("client", client)
                    .register(registry);
            Gauge.builder("tokenkeeper.token.valid", manager, m -> m.status(key).isValid() ? 1 : 0)
                    .description("1 if the client holds a token that may be served now")
                    .tag("client", client)
                    .register(registry);
            for (TokenEvent.CircuitState state : TokenEvent.CircuitState.values()) {
                Gauge.builder("tokenkeeper.circuit.state", manager, m -> m.circuitState(client) == state ? 1 : 0)
                        .description("1 for the current state of the client's token endpoint breaker")
                        .tags(Tags.of("client", client, "state", state.name().toLowerCase(Locale.ROOT)))
                        .register(registry);
            }
        });
    }

    static double secondsLeft(TokenStatus s, InstantSource clock) {
        Instant expiresAt = s.expiresAt();
        if (expiresAt == null || !s.hasToken()) {
            return Double.NaN;
        }
        return Duration.between(clock.instant(), expiresAt).toMillis() / 1000.0;
    }

    private void latency(String client, String outcome, Duration latency) {
        Timer.builder("tokenkeeper.acquisition.latency")
                .description("Time from the start of a grant to its outcome, retries included")
                .tags("client", client, "outcome", outcome)
                .register(registry)
                .record(latency);
    }

    private void lease(String client, String outcome) {
        count("tokenkeeper.lease", "Cluster lease outcomes", "client", client, "outcome", outcome);
    }

    private void count(String name, String description, String... tags) {
        counters.computeIfAbsent(new Meterkey(name, Tags.of(tags)),
                k -> Counter.builder(name).description(description).tags(k.tags()).register(registry))
                .increment();
    }

    /** Grant types are a short fixed list; anything else (a custom re-authentication grant) is "custom". */
    private static String grant(String grantType) {
        return switch (grantType == null ? "" : grantType) {
            case "client_credentials", "refresh_token", "authorization_code", "password",
                    "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "urn:ietf:params:oauth:grant-type:token-exchange" -> grantType;
            default -> "custom";
        };
    }

    private static String operation(String operation) {
        return switch (operation == null ? "" : operation) {
            case "load", "save", "delete", "lease", "release", "extend" -> operation;
            default -> OTHER;
        };
    }

    private record Meterkey(String name, Tags tags) {}
}
