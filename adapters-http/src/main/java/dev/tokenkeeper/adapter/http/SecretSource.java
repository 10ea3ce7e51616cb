package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.Secret;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a {@link VertxTokenEndpoint} gets its client secret for each request, so that a secret
 * rotated at the identity provider can be picked up without a restart.
 *
 * <ul>
 *   <li>{@link #of(Secret)}: a fixed secret (given inline, or read once from an environment
 *       variable: the environment of a running JVM cannot change, so there is nothing to re-read).
 *   <li>{@link #file(Path)}: a file, read again when its modification time, size or file key
 *       changes (checked at most once per request, with one {@code stat}), and at the latest when
 *       the endpoint answers {@code invalid_client} or {@code unauthorized_client}.
 * </ul>
 *
 * <p>Every value is {@link #clean cleaned} the same way, whatever its source. Implementations
 * must be thread-safe; {@link #current()} is called once per request and must be cheap.
 */
public interface SecretSource {

    /** The secret to send now; never null. */
    Secret current();

    /**
     * Reads the secret again now (after the endpoint rejected the current one).
     *
     * @return whether the secret changed
     */
    default boolean reload() {
        return false;
    }

    /** A fixed secret. */
    static SecretSource of(Secret secret) {
        Objects.requireNonNull(secret, "secret");
        return new SecretSource() {
            @Override
            public Secret current() {
                return secret;
            }

            @Override
            public String toString() {
                return "SecretSource[fixed]";
            }
        };
    }

    /**
     * A secret kept in {@code file}, read now and again whenever the file changes.
     *
     * @throws ConfigurationException if the file cannot be read or holds only white space; the
     *     message names the path and never the content
     */
    static SecretSource file(Path file) {
        return new FileSecretSource(Objects.requireNonNull(file, "file"));
    }

    /**
     * The one rule for every secret value, inline, from an environment variable or from a file:
     * leading and trailing white space (a newline that {@code echo} or an editor added, a CR of a
     * Windows file) is not part of the secret.
     *
     * @return the cleaned value, or null if nothing is left (or {@code raw} is null)
     */
    static String clean(String raw) {
        if (raw == null) {
            return null;
        }
        String s = raw.strip();
        return s.isEmpty() ? null : s;
    }
}
