package dev.tokenkeeper.bootstrap;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * One token sink: a file that {@code tokenkeeper serve} and {@code tokenkeeper exec} keep holding
 * the current access token of a client, for a process that reads a file instead of calling
 * anything. Read from the {@code sinks.<name>.*} keys by the same parser as the rest of the
 * configuration, so every problem is listed with the others by {@code tokenkeeper config check}.
 *
 * <pre>
 * sinks.orders.client=orders                # a configured client (not a DPoP-bound one)
 * sinks.orders.path=/run/tokens/orders      # absolute; its directory must exist
 * sinks.orders.format=raw                   # raw | json | env
 * sinks.orders.env-name=ACCESS_TOKEN        # format=env only: NAME=token and NAME_EXPIRES_AT=...
 * sinks.orders.mode=0600                    # octal; no write or execute bit for group or others
 * sinks.orders.group=app                    # optional: the group the file is given to
 * sinks.orders.on-shutdown=delete           # delete | keep
 * </pre>
 *
 * <p>Immutable.
 *
 * @param name the sink's name (the {@code <name>} of its settings)
 * @param client the configured client whose token it holds
 * @param path the file, absolute
 * @param format what the file holds
 * @param envName the variable name of {@link Format#ENV}; {@value #DEFAULT_ENV_NAME} otherwise
 * @param mode the file's permissions, exactly (never widened by the umask, never wider than this)
 * @param group the group the file is given to, or null to leave the process's
 * @param onShutdown what becomes of the file when the process stops
 */
public record SinkConfig(
        String name,
        String client,
        Path path,
        Format format,
        String envName,
        Set<PosixFilePermission> mode,
        String group,
        OnShutdown onShutdown) {

    /** The variable an env-file names when {@code env-name} is not set, and {@code exec}'s default. */
    public static final String DEFAULT_ENV_NAME = "ACCESS_TOKEN";
    /** Readable by its owner only: a token is a credential. */
    public static final Set<PosixFilePermission> DEFAULT_MODE = PosixFilePermissions.fromString("rw-------");

    /** What a sink file holds. */
    public enum Format {
        /** The token alone, with a trailing newline (for {@code $(cat file)}). */
        RAW,
        /** {@code {"access_token","token_type","expires_at"}}, {@code expires_at} in ISO-8601. */
        JSON,
        /** {@code NAME=token} and {@code NAME_EXPIRES_AT=ISO-8601} lines, for {@code . file} or {@code --env-file}. */
        ENV;

        /** The setting's spelling. */
        public String settingValue() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What becomes of a sink file when the process stops. */
    public enum OnShutdown {
        /** Removed: no token outlives the process that keeps it fresh (the default). */
        DELETE,
        /** Left as it is (it expires on its own): a reader started after the process stops still finds it. */
        KEEP
    }

    public SinkConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(envName, "envName");
        mode = Set.copyOf(Objects.requireNonNull(mode, "mode"));
        Objects.requireNonNull(onShutdown, "onShutdown");
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("path must be absolute");
        }
    }

    /** The mode in {@code ls -l} form, e.g. {@code rw-------}. */
    public String modeString() {
        return PosixFilePermissions.toString(mode);
    }

    /** A summary for {@code config check} and the start-up line (no token, no secret in it). */
    public String describe() {
        return "sink " + name + ": client=" + client + " path=" + path + " format=" + format.settingValue()
                + (format == Format.ENV ? " env-name=" + envName : "") + " mode=" + modeString()
                + (group == null ? "" : " group=" + group) + " on-shutdown=" + onShutdown.name().toLowerCase(Locale.ROOT);
    }

    /** The settings of a sink ({@code sinks.<name>.<key>}), for documentation. */
    public static Set<String> keys() {
        return ConfigReader.SINK_SETTINGS;
    }
}
