package dev.tokenkeeper.application.internal;

import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.StoreKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Derives the opaque {@link StoreKey} of a {@link TokenKey}: the URL-safe base64 of a SHA-256 over
 * a namespace, the client's identity (token URL and client id, when bootstrap assembles it) and the
 * key's canonical bytes. Stores see only this digest, never a registration name, scope or client
 * id; equal keys of the same client map to equal digests on every instance, and a client renamed
 * onto another IdP or client id does not find the old one's tokens.
 */
public final class StoreKeys {

    private static final byte[] NAMESPACE = "tokenkeeper/store-key/v1\0".getBytes(StandardCharsets.US_ASCII);

    private StoreKeys() {}

    /** The store key for {@code key} of a client without identity. */
    public static StoreKey of(TokenKey key) {
        return of("", key);
    }

    /** The store key for {@code key} of the client with {@code identity}. */
    public static StoreKey of(String identity, TokenKey key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(NAMESPACE);
            byte[] id = identity.getBytes(StandardCharsets.UTF_8);
            sha.update((id.length + ":").getBytes(StandardCharsets.US_ASCII));
            sha.update(id);
            byte[] digest = sha.digest(key.canonicalBytes());
            return new StoreKey(Base64.getUrlEncoder().withoutPadding().encodeToString(digest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
