package dev.tokenkeeper.domain.api;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenKey;
import java.time.Duration;
import java.time.Instant;

/**
 * Something the manager did or saw. Every event names the key (or the client registration) it
 * concerns and carries no secret: keys hold registration names and scopes, failures their kind.
 * Hits on a fresh cached token raise no event (the hot path must not allocate); they are counted
 * by the manager instead.
 *
 * <p>Sealed: these records are every event there is, so a listener can handle each with
 * {@code instanceof} patterns and a test can check it missed none
 * ({@link Class#getPermittedSubclasses()}).
 */
public sealed interface TokenEvent
        permits TokenEvent.CacheMiss, TokenEvent.StoreHit, TokenEvent.AcquisitionStarted,
                TokenEvent.AcquisitionSucceeded, TokenEvent.AttemptFailed, TokenEvent.AcquisitionFailed,
                TokenEvent.RefreshScheduled, TokenEvent.StoreFailed, TokenEvent.CorruptEntry, TokenEvent.LeaseWon,
                TokenEvent.LeaseLost, TokenEvent.LeaseWaitTimedOut, TokenEvent.CircuitStateChanged,
                TokenEvent.TokenInvalidated, TokenEvent.FallbackCredentialUsed {

    /** The client registration the event concerns. */
    String client();

    /** Why a cached token could not be served. */
    enum MissReason {
        /** Nothing was cached. */
        ABSENT,
        /** The cached token had expired by the expiry policy. */
        EXPIRED,
        /** The token had been invalidated. */
        INVALIDATED
    }

    /** The states of a circuit breaker. */
    enum CircuitState {
        /** Requests flow. */
        CLOSED,
        /** Requests are rejected without being sent. */
        OPEN,
        /** A few probe requests are let through. */
        HALF_OPEN
    }

    /** The near cache had no servable token for {@code key}. */
    record CacheMiss(TokenKey key, MissReason reason) implements TokenEvent {
        @Override
        public String client() {
            return key.client();
        }
    }

    /** A servable token was found in the store (another instance or process acquired it). */
    record StoreHit(TokenKey key) implements TokenEvent {
        @Override
        public String client() {
            return key.client();
        }
    }

    /** A grant is about to run. */
    record AcquisitionStarted(TokenKey key, String grantType, boolean background) implements TokenEvent {
        @Override
        public String client() {
            return key.client();
        }
    }

    /** A grant produced a token after {@code attempts} attempts. */
    record AcquisitionSucceeded(
            TokenKey key, String grantType, Duration latency, Instant expiresAt, int attempts, boolean background)
            implements TokenEvent {
        @Override
        public String client() {
            return key.client();
        }
    }

    /** One attempt failed; {@code retryIn} is the pause before the next one, or null if none follows. */
    record AttemptFailed(TokenKey key, String grantType, FailureKind kind, int attempt, Duration retryIn)
            implements TokenEvent {
        @Override
        public String client() {
            return key.client();
        }
    }

    /** A grant failed for good, after {@code attempts} attempts. */
    record AcquisitionFailed(
            TokenKey key, String grantType, FailureKind kind, Duration latency, int attempts, boolean background)
            implements TokenEvent {
        @Override
        public String client() {
            return key.client();
        }
    }

    /** A background refresh of {@code key} is planned for {@code at}. */
    record RefreshScheduled(TokenKey key, Instant at) implements TokenEvent {
        @Override
        public String client() {
            return key.client();
        }
    }

    /**
     * A store call failed; the manager carried on without the store.
     *
     * @param operation load, save, delete, lease or release
     * @param error the exception's class name (messages can carry connection strings)
     */
    record StoreFailed(TokenKey key, String operation, String error) implements TokenEvent {
        @Override
        public String client() {
            return key.client();
        }
    }

    /** A stored entry could not be opened (corrupt, truncated, foreign or sealed with an unknown key). */
    record CorruptEntry(TokenKey key, String reason) implements TokenEvent {
        @Override
        public String client() {
            return key.client();
        }
    }

    /** This instance won the cluster lease for {@code key} and will run the grant. */
    record LeaseWon(TokenKey key) implements TokenEvent {
        @Override
        public String client() {
            return key.client();
        }
    }

    /** Another instance holds the lease for {@code key}; this one waits for its token. */
    record LeaseLost(TokenKey key) implements TokenEvent {
        @Override
        public String client() {
            return key.client();
        }
    }

    /** The wait for another instance's token ran out; this instance acquires on its own. */
    record LeaseWaitTimedOut(TokenKey key) implements TokenEvent {
        @Override
        public String client() {
            return key.client();
        }
    }

    /** The circuit breaker of a client's token endpoint changed state. */
    record CircuitStateChanged(String client, CircuitState from, CircuitState to) implements TokenEvent {}

    /** The token for {@code key} was dropped; {@code rejected} if a resource server refused it. */
    record TokenInvalidated(TokenKey key, boolean rejected) implements TokenEvent {
        @Override
        public String client() {
            return key.client();
        }
    }

    /** No token could be had, and a configured static fallback credential was used instead. */
    record FallbackCredentialUsed(TokenKey key, FailureKind cause) implements TokenEvent {
        @Override
        public String client() {
            return key.client();
        }
    }
}
