package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.port.TokenEventListener;
import java.time.InstantSource;

/**
 * The bookkeeping of one grant across its attempts: how many were made, and when the last one was
 * sent (a token's lifetime counts from the sending of the request that produced it).
 */
final class GrantCall {
    final TokenKey key;
    final String grantType;
    final boolean background;
    final TokenEventListener listener;
    private final InstantSource clock;
    private volatile int attempts;
    private volatile long lastSentAtMillis;

    GrantCall(TokenKey key, String grantType, boolean background, InstantSource clock, TokenEventListener listener) {
        this.key = key;
        this.grantType = grantType;
        this.background = background;
        this.clock = clock;
        this.listener = listener;
    }

    /** Called just before an attempt is sent. */
    void attemptStarted() {
        lastSentAtMillis = clock.millis();
        attempts++;
    }

    int attempts() {
        return attempts;
    }

    long lastSentAtMillis() {
        return lastSentAtMillis;
    }
}
