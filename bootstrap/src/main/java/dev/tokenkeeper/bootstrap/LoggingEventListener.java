package dev.tokenkeeper.bootstrap;

import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenEventListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns events into SLF4J log lines at sensible levels: one INFO line per acquisition, WARN for
 * failures, store degradation, corrupt entries and a breaker that opens, INFO when it closes, a
 * lease wait runs out or a resource server rejects a token, DEBUG for the rest (misses, attempts,
 * leases, scheduled refreshes). Hits are never logged.
 * Events carry no secret, so neither do the lines. Thread-safe.
 */
public final class LoggingEventListener implements TokenEventListener {

    private static final Logger LOG = LoggerFactory.getLogger("dev.tokenkeeper");

    @Override
    public void onEvent(TokenEvent event) {
        log(event);
    }

    /**
     * Logs {@code event}; false only for an event type without a branch here, which a test rules out
     * for every type {@link TokenEvent} permits.
     */
    boolean log(TokenEvent event) {
        if (event instanceof TokenEvent.AcquisitionSucceeded e) {
            LOG.info("token acquired: client={} grant={} attempts={} latencyMs={} expiresAt={}{}", e.client(),
                    e.grantType(), e.attempts(), e.latency().toMillis(), e.expiresAt(), e.background() ? " (background)" : "");
        } else if (event instanceof TokenEvent.AcquisitionFailed e) {
            LOG.warn("token acquisition failed: client={} grant={} kind={} attempts={}{}", e.client(), e.grantType(),
                    e.kind(), e.attempts(), e.background() ? " (background; the current token stays in service)" : "");
        } else if (event instanceof TokenEvent.StoreFailed e) {
            LOG.warn("store {} failed for client={} ({}); carrying on without the store", e.operation(), e.client(), e.error());
        } else if (event instanceof TokenEvent.CorruptEntry e) {
            LOG.warn("unreadable store entry for client={} ({}); treated as a miss and overwritten", e.client(), e.reason());
        } else if (event instanceof TokenEvent.CircuitStateChanged e) {
            if (e.to() == TokenEvent.CircuitState.CLOSED) {
                LOG.info("circuit breaker for client={} is now CLOSED (requests flow again)", e.client());
            } else {
                LOG.warn("circuit breaker for client={} is now {}", e.client(), e.to());
            }
        } else if (event instanceof TokenEvent.LeaseWaitTimedOut e) {
            LOG.info("waited in vain for another instance's token for client={}; acquiring directly", e.client());
        } else if (event instanceof TokenEvent.TokenInvalidated e) {
            if (e.rejected()) {
                LOG.info("a resource server rejected the token of client={}; it was dropped", e.client());
            } else {
                LOG.debug("{}", e);
            }
        } else if (event instanceof TokenEvent.FallbackCredentialUsed e) {
            LOG.warn("no token for client={} ({}); the static fallback credential was used", e.client(), e.cause());
        } else if (event instanceof TokenEvent.CacheMiss || event instanceof TokenEvent.StoreHit
                || event instanceof TokenEvent.AcquisitionStarted || event instanceof TokenEvent.AttemptFailed
                || event instanceof TokenEvent.RefreshScheduled || event instanceof TokenEvent.LeaseWon
                || event instanceof TokenEvent.LeaseLost) {
            LOG.debug("{}", event); // routine steps: their outcome is logged above
        } else {
            return false;
        }
        return true;
    }
}
