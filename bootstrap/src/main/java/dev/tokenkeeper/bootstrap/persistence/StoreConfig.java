package dev.tokenkeeper.bootstrap.persistence;

import dev.tokenkeeper.domain.Secret;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * Where tokens are kept, as configuration names it ({@code store.*}, or a store named on the
 * command line); {@link Stores#open} opens it.
 *
 * @param kind memory, redis, jdbc or file
 * @param url the Redis URI or JDBC URL without any password, the directory for file, or null for memory
 * @param prefix the key or table prefix, or null for the default
 * @param user the user from the URL's user info, or null
 * @param password the store's password (from the URL, store.password, store.password-env or
 *     store.password-file), or null; never part of {@code url}
 */
public record StoreConfig(Kind kind, String url, String prefix, String user, Secret password) {

    /** The kinds of store. */
    public enum Kind {
        /** This process's memory: nothing shared, nothing kept. */
        MEMORY,
        /** A Redis server shared by every instance. */
        REDIS,
        /** A database shared by every instance (PostgreSQL, MariaDB/MySQL, H2). */
        JDBC,
        /** The local token file of one user (tokenkeeper-runnable; see {@link LocalFiles}). */
        FILE;

        /** The name the settings use: {@code memory}, {@code redis}, {@code jdbc}, {@code file}. */
        public String type() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Every kind's {@link #type()}, for messages. */
        public static String names() {
            return Arrays.stream(values()).map(Kind::type).sorted().toList().toString();
        }
    }

    public StoreConfig {
        Objects.requireNonNull(kind, "kind");
    }

    /** The memory store. */
    public static StoreConfig memory() {
        return new StoreConfig(Kind.MEMORY, null, null, null, null);
    }

    /** The {@link Kind#type()} of this store. */
    public String type() {
        return kind.type();
    }

    /** The URL with its user and password, for opening the store. */
    public StoreUrl credentials() {
        return new StoreUrl(url == null ? "" : url, user, password);
    }

    /** Whether the store outlives the process or is shared. */
    public boolean persistent() {
        return kind != Kind.MEMORY;
    }

    /** {@code text} (a driver's message) with this store's password hidden in every form, and any user info. */
    public String scrub(String text) {
        return credentials().scrub(text);
    }

    /** A summary without the password. */
    @Override
    public String toString() {
        return "StoreConfig[type=" + type() + ", url=" + StoreUrl.redact(url) + ", prefix=" + prefix
                + (password == null ? "" : ", with a password") + "]";
    }
}
