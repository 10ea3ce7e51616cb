package dev.tokenkeeper.bootstrap;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

/**
 * One sample of every event type {@link TokenEvent} permits, found by reflection
 * ({@link Class#getPermittedSubclasses()}), so that a listener test covers a type added later
 * without being edited.
 */
public final class TokenEventSamples {
    private TokenEventSamples() {}

    /** One instance of each permitted event type, built with plain sample values. */
    public static List<TokenEvent> everyKind() {
        Class<?>[] permitted = TokenEvent.class.getPermittedSubclasses();
        if (permitted == null || permitted.length == 0) {
            throw new AssertionError("TokenEvent is expected to be sealed");
        }
        return Arrays.stream(permitted).map(TokenEventSamples::sample).toList();
    }

    private static TokenEvent sample(Class<?> type) {
        RecordComponent[] components = type.getRecordComponents();
        if (components == null) {
            throw new AssertionError(type + " is expected to be a record");
        }
        Class<?>[] types = Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new);
        Object[] values = Arrays.stream(types).map(TokenEventSamples::value).toArray();
        try {
            Constructor<?> c = type.getDeclaredConstructor(types);
            return (TokenEvent) c.newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot build a sample of " + type, e);
        }
    }

    private static Object value(Class<?> t) {
        if (t == TokenKey.class) {
            return TokenKey.of("billing", "read");
        } else if (t == String.class) {
            return "billing";
        } else if (t == boolean.class) {
            return true;
        } else if (t == int.class) {
            return 1;
        } else if (t == Duration.class) {
            return Duration.ofMillis(5);
        } else if (t == Instant.class) {
            return Instant.EPOCH;
        } else if (t == FailureKind.class) {
            return FailureKind.SERVER_ERROR;
        } else if (t.isEnum()) {
            return t.getEnumConstants()[0];
        }
        throw new AssertionError("no sample value for a component of type " + t + ": add one here");
    }
}
