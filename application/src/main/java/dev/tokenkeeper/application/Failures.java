package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import java.util.concurrent.TimeoutException;

/** The one place where a throwable becomes a {@link TokenException}, and a shared failure a caller's copy. */
final class Failures {
    private Failures() {}

    static TokenException toTokenException(Throwable t) {
        Throwable c = TokenException.unwrap(t);
        if (c instanceof TokenException te) {
            return te;
        }
        if (c instanceof TimeoutException) {
            return new TokenException(FailureKind.TIMEOUT, "the token request did not finish within the grant timeout", c);
        }
        return new TokenException(
                FailureKind.NETWORK, "the token request failed unexpectedly (" + c.getClass().getName() + ")", c);
    }

    /** A copy of a shared failure, so that each caller gets its own stack trace and cannot alter others'. */
    static TokenException forCaller(TokenException shared) {
        if (shared instanceof ConfigurationException) {
            return shared;
        }
        return new TokenException(
                shared.kind(),
                shared.getMessage(),
                shared,
                shared.retryAfter().orElse(null),
                shared.httpStatus().orElse(0),
                shared.oauthError().orElse(null));
    }

    static TokenException closed() {
        return new TokenException(FailureKind.BAD_CONFIGURATION, "the token manager is closed");
    }
}
