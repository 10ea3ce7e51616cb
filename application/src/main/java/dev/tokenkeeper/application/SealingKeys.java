package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.ConfigurationException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The AES-256 keys that seal tokens before a store sees them. The first key seals new entries;
 * every key opens entries sealed with it, so a key can be rotated by putting the new one first and
 * keeping the old one until its entries have expired. Each key has a short id that is written in
 * clear into the sealed entry's header, so the right key is found without trial decryption.
 *
 * <p>Configuration form (see {@link #parse}): {@code id:base64key[,id:base64key…]}, newest first.
 * {@link #toString()} shows the ids only. Immutable and thread-safe.
 */
public final class SealingKeys {

    /** AES-256: 32 bytes. */
    public static final int KEY_BYTES = 32;

    private final Map<String, SecretKey> keys;
    private final String currentId;
    private final boolean ephemeral;

    private SealingKeys(Map<String, SecretKey> keys, boolean ephemeral) {
        this.keys = Collections.unmodifiableMap(keys);
        this.currentId = keys.keySet().iterator().next();
        this.ephemeral = ephemeral;
    }

    /**
     * One key.
     *
     * @throws ConfigurationException if the id is not 1–32 characters of {@code [A-Za-z0-9_.-]}
     *     or the key is not 32 bytes
     */
    public static SealingKeys of(String id, byte[] key) {
        Map<String, SecretKey> m = new LinkedHashMap<>();
        m.put(checkId(id), toKey(id, key));
        return new SealingKeys(m, false);
    }

    /** These keys plus an older one that still opens entries but seals none. */
    public SealingKeys withOlder(String id, byte[] key) {
        Map<String, SecretKey> m = new LinkedHashMap<>(keys);
        if (m.containsKey(checkId(id))) {
            throw new ConfigurationException("sealing key id '" + id + "' is used twice");
        }
        m.put(id, toKey(id, key));
        return new SealingKeys(m, false);
    }

    /**
     * A random key that lives as long as this process: right for a memory store, wrong for a
     * persistent one (its entries would be unreadable after a restart and to other instances).
     */
    public static SealingKeys ephemeral() {
        byte[] key = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(key);
        Map<String, SecretKey> m = new LinkedHashMap<>();
        m.put("ephemeral", new SecretKeySpec(key, "AES"));
        return new SealingKeys(m, true);
    }

    /**
     * Parses {@code id:base64key[,id:base64key…]}, newest first; base64 standard or URL-safe.
     * Error messages name the key id, never the key.
     *
     * @throws ConfigurationException listing every malformed part
     */
    public static SealingKeys parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        List<String> problems = new ArrayList<>();
        Map<String, SecretKey> m = new LinkedHashMap<>();
        String[] parts = spec.split(",");
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i].trim();
            int colon = part.indexOf(':');
            if (colon <= 0) {
                problems.add("sealing key #" + (i + 1) + " must look like id:base64key");
                continue;
            }
            String id = part.substring(0, colon);
            byte[] key;
            try {
                String b64 = part.substring(colon + 1).trim();
                key = b64.contains("-") || b64.contains("_") ? Base64.getUrlDecoder().decode(b64) : Base64.getDecoder().decode(b64);
            } catch (IllegalArgumentException e) {
                problems.add("sealing key '" + id + "' is not valid base64");
                continue;
            }
            try {
                checkId(id);
                if (m.containsKey(id)) {
                    throw new ConfigurationException("sealing key id '" + id + "' is used twice");
                }
                m.put(id, toKey(id, key));
            } catch (ConfigurationException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }
        if (m.isEmpty()) {
            throw new ConfigurationException("sealing keys: none given");
        }
        return new SealingKeys(m, false);
    }

    /** A fresh random key in the configuration form, for {@code id}. */
    public static String generateSpec(String id) {
        checkId(id);
        byte[] key = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(key);
        return id + ":" + Base64.getEncoder().encodeToString(key);
    }

    /** Whether this is a process-lifetime random key. */
    public boolean isEphemeral() {
        return ephemeral;
    }

    /** The id of the key that seals new entries. */
    public String currentId() {
        return currentId;
    }

    SecretKey current() {
        return keys.get(currentId);
    }

    SecretKey find(String id) {
        return keys.get(id);
    }

    /** The key ids, newest first. */
    public List<String> ids() {
        return List.copyOf(keys.keySet());
    }

    @Override
    public String toString() {
        return "SealingKeys" + keys.keySet() + (ephemeral ? " (ephemeral)" : "");
    }

    private static String checkId(String id) {
        Objects.requireNonNull(id, "id");
        if (!id.matches("[A-Za-z0-9_.-]{1,32}")) {
            throw new ConfigurationException("sealing key id must be 1 to 32 characters of [A-Za-z0-9_.-]");
        }
        return id;
    }

    private static SecretKey toKey(String id, byte[] key) {
        Objects.requireNonNull(key, "key");
        if (key.length != KEY_BYTES) {
            throw new ConfigurationException(
                    "sealing key '" + id + "' must be " + KEY_BYTES + " bytes (AES-256), was " + key.length);
        }
        return new SecretKeySpec(key.clone(), "AES");
    }
}
