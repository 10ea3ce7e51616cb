package dev.tokenkeeper.domain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A secret value (client secret, access token, refresh token, password) that never shows itself:
 * {@link #toString()} is always {@code "Secret[redacted]"}, so a secret that ends up in a log line,
 * an exception message or a debugger's variable view stays hidden. Read it with {@link #reveal()}
 * only at the point where it must leave the process (an HTTP header, a form field, a cipher).
 *
 * <p>Immutable and thread-safe. Equality is by value, compared in constant time.
 */
public final class Secret {

    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    /**
     * Wraps a secret value.
     *
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalArgumentException if {@code value} is empty
     */
    public static Secret of(String value) {
        Objects.requireNonNull(value, "value");
        if (value.isEmpty()) {
            throw new IllegalArgumentException("a secret must not be empty");
        }
        return new Secret(value);
    }

    /** The secret itself. Call it only where the value must be sent or sealed, never to log it. */
    public String reveal() {
        return value;
    }

    /** The secret's length in characters, useful for diagnostics that must not show it. */
    public int length() {
        return value.length();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret other
                && MessageDigest.isEqual(
                        value.getBytes(StandardCharsets.UTF_8), other.value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return "Secret[redacted]";
    }
}
