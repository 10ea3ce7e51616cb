package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenEventListener;

/** Where every collaborator sends its events: the configured listener, whose failures never reach token delivery. */
final class EventSink implements TokenEventListener {
    private final TokenEventListener listener;

    EventSink(TokenEventListener listener) {
        this.listener = listener;
    }

    @Override
    public void onEvent(TokenEvent event) {
        try {
            listener.onEvent(event);
        } catch (RuntimeException ignored) {
            // observation must never break token delivery
        }
    }
}
