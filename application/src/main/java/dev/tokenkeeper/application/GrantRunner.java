package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.Grant;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenResponse;
import dev.tokenkeeper.domain.api.TokenStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Gets a token from the identity provider for a key: the refresh-token grant when a usable refresh
 * token is known (the current token's or a spare), falling back to the client's primary grant on
 * {@code invalid_grant}; dates the token from when its request was sent; and applies the late-answer
 * rule (a token that arrives already expired is never served: one immediate new request, then
 * {@link FailureKind#TIMEOUT}). Emits the acquisition events. Thread-safe; returns futures, completes
 * nothing of the caller's.
 */
final class GrantRunner {

    /** A grant's token, its near-cache entry, and what the success event reports. */
    record Acquired(Entry entry, String grantType, Duration latency, int attempts) {}

    private final GrantExecutor grants;
    private final EntryFactory entries;
    private final EventSink events;
    private final InstantSource clock;
    private final Ticker ticker;
    private final Duration refreshTokenLifetime;

    GrantRunner(GrantExecutor grants, EntryFactory entries, EventSink events, InstantSource clock, Ticker ticker,
            Duration refreshTokenLifetime) {
        this.grants = grants;
        this.entries = entries;
        this.events = events;
        this.clock = clock;
        this.ticker = ticker;
        this.refreshTokenLifetime = refreshTokenLifetime;
    }

    /** A token for {@code s} whose current entry (null if none) is {@code current}. */
    CompletableFuture<Acquired> acquire(KeyState s, Entry current, boolean background) {
        return obtain(s, refreshCandidate(s, current), background)
                .thenCompose(first -> expiredOnArrival(first) ? onceMore(s, first, background)
                        : CompletableFuture.completedFuture(first));
    }

    /**
     * Whether a token arrived with no usable life left: the IdP answered after the point at which
     * the expiry policy calls it expired (its life counts from when the request was sent).
     */
    private boolean expiredOnArrival(Acquired a) {
        return clock.millis() >= a.entry.expiresAtMillis;
    }

    /**
     * The one immediate new request after a token arrived already expired; if that token also arrives
     * expired, the grant fails (TIMEOUT) rather than asking a third time.
     */
    private CompletableFuture<Acquired> onceMore(KeyState s, Acquired late, boolean background) {
        RefreshCandidate refresh = RefreshCandidate.of(late.entry.token); // it may have rotated the refresh token
        return obtain(s, refresh, background).handle((again, error) -> {
            if (error == null && !expiredOnArrival(again)) {
                return again;
            }
            if (refresh != null) {
                s.spareRefresh = refresh; // a rotated refresh token must not be lost with the late token
            }
            if (error != null) {
                throw new CompletionException(Failures.toTokenException(error));
            }
            throw new CompletionException(new TokenException(FailureKind.TIMEOUT, "the identity provider answered "
                    + "twice only after the token's usable life had passed (the last request was sent at "
                    + again.entry.token.issuedAt() + " and answered at " + clock.instant() + " for a lifetime of "
                    + again.entry.token.lifetime().toSeconds() + " s); no token was served. Check the identity "
                    + "provider's latency and this host's clock"));
        });
    }

    /**
     * The refresh token to use for the next grant: the newest one known for the key that is not known
     * to have expired, from the current token or from a spare (a token a resource server rejected, or
     * a stored entry whose access token has expired), else none.
     */
    private RefreshCandidate refreshCandidate(KeyState s, Entry current) {
        Instant now = clock.instant();
        RefreshCandidate mine = current == null ? null : RefreshCandidate.of(current.token);
        RefreshCandidate spare = s.spareRefresh;
        mine = mine != null && mine.usableAt(now) ? mine : null;
        spare = spare != null && spare.usableAt(now) ? spare : null;
        if (mine == null) {
            return spare;
        }
        return spare != null && spare.newerThan(mine) ? spare : mine;
    }

    /** Runs the right grant: refresh token if there is one, the primary grant otherwise or on invalid_grant. */
    private CompletableFuture<Acquired> obtain(KeyState s, RefreshCandidate refresh, boolean background) {
        if (refresh == null) {
            return primaryGrant(s, background);
        }
        return grant(s, new Grant.RefreshToken(refresh.token()), refresh, background).handle((token, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(token);
            }
            TokenException te = Failures.toTokenException(error);
            if (te.kind() == FailureKind.INVALID_GRANT) {
                // the refresh token is spent or revoked: log in again with the primary grant
                if (s.spareRefresh == refresh) {
                    s.spareRefresh = null;
                }
                return primaryGrant(s, background);
            }
            return CompletableFuture.<Acquired>failedFuture(te);
        }).thenCompose(f -> f);
    }

    /** The client's primary grant; a primary refresh-token grant (an imported token) is kept in force like any. */
    private CompletableFuture<Acquired> primaryGrant(KeyState s, boolean background) {
        Grant primary = s.client.primaryGrant();
        RefreshCandidate used = primary instanceof Grant.RefreshToken rt
                ? new RefreshCandidate(rt.refreshToken(), null, Instant.EPOCH)
                : null;
        return grant(s, primary, used, background);
    }

    private CompletableFuture<Acquired> grant(KeyState s, Grant grant, RefreshCandidate used, boolean background) {
        GrantCall call = new GrantCall(s.key, grant.grantType(), background, clock, events);
        events.onEvent(new TokenEvent.AcquisitionStarted(s.key, grant.grantType(), background));
        long t0 = ticker.read();
        CompletableFuture<TokenResponse> response;
        try {
            response = grants.execute(s.client, new TokenRequest(s.key, grant), call);
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        return response.handle((r, error) -> {
            Duration latency = Duration.ofNanos(ticker.read() - t0);
            if (error != null) {
                TokenException te = Failures.toTokenException(error);
                events.onEvent(new TokenEvent.AcquisitionFailed(
                        s.key, grant.grantType(), te.kind(), latency, call.attempts(), background));
                throw new CompletionException(te);
            }
            AccessToken token = dated(s.key, r, used, call.lastSentAtMillis());
            return new Acquired(entries.entry(token, TokenStatus.Source.IDP), grant.grantType(), latency, call.attempts());
        });
    }

    /** The token of {@code r}, its life and its refresh token's counted from when its request was sent. */
    private AccessToken dated(TokenKey key, TokenResponse r, RefreshCandidate used, long sentAtMillis) {
        Instant issuedAt = Instant.ofEpochMilli(sentAtMillis);
        Set<String> scopes = r.scopes().isEmpty() ? key.scopes() : r.scopes();
        Secret refresh = r.refreshToken();
        Instant refreshExpiresAt = null;
        if (refresh == null && used != null) {
            // RFC 6749 §6: the server may keep the old refresh token in force without sending it again;
            // unless it says otherwise, it lives as long as it did
            refresh = used.token();
            refreshExpiresAt = used.expiresAt();
        }
        if (r.refreshExpiresIn() != null) {
            refreshExpiresAt = issuedAt.plus(r.refreshExpiresIn()); // the server's word, counted like the token's
        }
        if (refresh != null && refreshExpiresAt == null) {
            refreshExpiresAt = issuedAt.plus(refreshTokenLifetime);
        }
        return new AccessToken(r.accessToken(), r.tokenType(), issuedAt, issuedAt.plus(r.expiresIn()), scopes, refresh,
                refreshExpiresAt);
    }
}
