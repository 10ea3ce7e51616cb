package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEventListener;
import java.time.InstantSource;

/**
 * The bookkeeping of one grant across its attempts: how many were made, when the last one was sent
 * (a token's lifetime counts from the sending of the request that produced it), and how the last one
 * failed while the next one waits (so that a deadline that runs out during that wait reports the
 * real cause, not a timeout).
 */
final class GrantCall {
    final TokenKey key;
    final String grantType;
    final boolean background;
    final TokenEventListener listener;
    private final InstantSource clock;
    private volatile int attempts;
    private volatile long lastSentAtMillis;
    private volatile dev.tokenkeeper.domain.TokenException waitingAfter;

    GrantCall(TokenKey key, String grantType, boolean background, InstantSource clock, TokenEventListener listener) {
        this.key = key;
        this.grantType = grantType;
        this.background = background;
        this.clock = clock;
        this.listener = listener;
    }

    /** Called just before an attempt is sent. */
    void attemptStarted() {
        waitingAfter = null;
        lastSentAtMillis = clock.millis();
        attempts++;
    }

    /** Called when an attempt failed with {@code failure} and another one will follow after a pause. */
    void waitingToRetryAfter(dev.tokenkeeper.domain.TokenException failure) {
        waitingAfter = failure;
    }

    /** The failure of the last attempt if the grant is pausing before the next one, else null. */
    dev.tokenkeeper.domain.TokenException waitingAfter() {
        return waitingAfter;
    }

    int attempts() {
        return attempts;
    }

    long lastSentAtMillis() {
        return lastSentAtMillis;
    }
}
