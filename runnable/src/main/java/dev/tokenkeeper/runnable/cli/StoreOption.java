package dev.tokenkeeper.runnable.cli;

import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.bootstrap.persistence.StoreConfig;
import dev.tokenkeeper.bootstrap.persistence.StoreUrl;
import dev.tokenkeeper.domain.ConfigurationException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A store named on the command line, for the tools that move tokens or prepare tables:
 * {@code memory:}, {@code file:} (the local store's default directory) or {@code file:DIR},
 * {@code jdbc:…}, {@code redis://…} or {@code rediss://…}. The option only says which
 * {@code store.*} settings it stands for; the configuration parser reads them, so a store named
 * here is checked exactly as a configured one (and its password comes the same ways:
 * {@code --…-password-env} is {@code store.password-env}, {@code --…-password-file} is
 * {@code store.password-file}).
 */
public final class StoreOption {

    private StoreOption() {}

    /**
     * The store {@code spec} names.
     *
     * @param option the option that gave it, for messages
     * @param prefix the table or key prefix, or null
     * @param passwordEnv the name of a variable holding the password, or null
     * @param passwordFile a file holding the password, or null
     * @param environment the process environment
     * @throws ConfigurationException if the spec is not one of the forms or its settings are invalid;
     *     no message shows a password
     */
    public static StoreConfig parse(String option, String spec, String prefix, String passwordEnv, String passwordFile,
            Map<String, String> environment) {
        Objects.requireNonNull(spec, option);
        String s = spec.strip();
        String lower = s.toLowerCase(Locale.ROOT);
        Map<String, String> store = new LinkedHashMap<>();
        if (lower.equals("memory:") || lower.equals("memory")) {
            store.put("store.type", "memory");
        } else if (lower.equals("file:") || lower.equals("file")) {
            store.put("store.type", "file");
        } else if (lower.startsWith("file:")) {
            String path = s.substring("file:".length());
            store.put("store.type", "file");
            store.put("store.path", path.startsWith("//") ? URI.create(s).getPath() : path); // file:///dir
        } else if (lower.startsWith("jdbc:") || lower.startsWith("redis://") || lower.startsWith("rediss://")) {
            store.put("store.type", lower.startsWith("jdbc:") ? "jdbc" : "redis");
            store.put("store.url", s);
        } else {
            throw new ConfigurationException(option + ": not a store (the value is not shown: it may hold a password); "
                    + "use memory:, file:, file:DIR, jdbc:postgresql://…, jdbc:h2:…, redis://… or rediss://…");
        }
        if (prefix != null) {
            store.put("store.prefix", prefix);
        }
        if (passwordEnv != null) {
            store.put("store.password-env", passwordEnv);
        }
        if (passwordFile != null) {
            store.put("store.password-file", passwordFile);
        }
        return TokenkeeperConfig.storeConfig(Settings.of(store, environment, "the option " + option));
    }

    /** A password typed into a URL on the command line is in the process list: say so, and how to avoid it. */
    static void warnIfPasswordOnCommandLine(String option, String given, String envOption) {
        String s = given.strip().toLowerCase(Locale.ROOT);
        if ((s.startsWith("jdbc:") || s.startsWith("redis")) && StoreUrl.split(given).password() != null) {
            System.err.println("tokenkeeper: WARN the password in " + option + " is visible to other users in the process "
                    + "list; give it with " + envOption + " or " + envOption.replace("-env", "-file") + " instead");
        }
    }

    /** A store for messages: its kind and location, never a password. */
    static String show(StoreConfig store) {
        return switch (store.kind()) {
            case MEMORY -> "memory:";
            case FILE -> "file:" + store.url();
            default -> StoreUrl.redact(store.url());
        } + (store.prefix() == null ? "" : " (prefix " + store.prefix() + ")");
    }

    /** The innermost cause's class and message, on one line, any password of {@code stores} hidden. */
    static String describe(Throwable e, StoreConfig... stores) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? "" : ": " + root.getMessage().lines().findFirst().orElse("");
        String text = root.getClass().getSimpleName() + message;
        for (StoreConfig store : stores) {
            text = store.scrub(text);
        }
        return StoreUrl.redact(text);
    }
}
