package dev.tokenkeeper.domain.api;

/**
 * Receives what the manager does, for logs and metrics. Called synchronously on the manager's
 * threads: implementations must be fast, thread-safe and must not throw (an exception is
 * swallowed so that observation never breaks token delivery). Events hold no secret.
 */
@FunctionalInterface
public interface TokenEventListener {

    /** A listener that ignores everything. */
    TokenEventListener NONE = event -> {};

    /** Called for each event. */
    void onEvent(TokenEvent event);

    /** A listener that calls this one, then {@code next}. */
    default TokenEventListener andThen(TokenEventListener next) {
        return event -> {
            try {
                onEvent(event);
            } finally {
                next.onEvent(event);
            }
        };
    }
}
