package dev.tokenkeeper.application.internal;

import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.port.StoreKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Derives the opaque {@link StoreKey} of a {@link TokenKey}: the URL-safe base64 of a SHA-256 over
 * a namespace and the key's canonical bytes. Stores see only this digest, never a registration
 * name, scope or client id; equal keys map to equal digests on every instance.
 */
public final class StoreKeys {

    private static final byte[] NAMESPACE = "tokenkeeper/store-key/v1\0".getBytes(StandardCharsets.US_ASCII);

    private StoreKeys() {}

    /** The store key for {@code key}. */
    public static StoreKey of(TokenKey key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(NAMESPACE);
            byte[] digest = sha.digest(key.canonicalBytes());
            return new StoreKey(Base64.getUrlEncoder().withoutPadding().encodeToString(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
