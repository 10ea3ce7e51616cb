package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.domain.api.TokenEvent;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class LoggingEventListenerTest {

    @Test
    @DisplayName("every event type TokenEvent permits has a branch in the logging listener")
    void everyEventTypeHandled() {
        LoggingEventListener listener = new LoggingEventListener();
        assertThat(TokenEventSamples.everyKind()).hasSize(TokenEvent.class.getPermittedSubclasses().length)
                .allSatisfy(e -> assertThat(listener.log(e)).as("handles %s", e.getClass().getSimpleName()).isTrue());
    }
}
