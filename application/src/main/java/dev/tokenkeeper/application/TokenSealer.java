package dev.tokenkeeper.application;

import dev.tokenkeeper.application.internal.TokenCodec;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals tokens with AES-256-GCM before a store sees them, and opens them again.
 *
 * <p>Layout: {@code version(1) | idLength(1) | keyId | nonce(12) | ciphertext+tag(16)}. The nonce
 * is random per seal. The associated data binds the header and the {@link StoreKey}: bytes copied
 * under another key, or with an edited header, do not open. JDK crypto only.
 *
 * <p>Thread-safe: a {@link Cipher} is made per call. Package-private: the manager seals what it
 * saves ({@link SealedStoreTier}); callers configure {@link SealingKeys} and never see a sealer.
 */
final class TokenSealer {

    private static final byte VERSION = 1;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final byte[] CONTEXT = "tokenkeeper/sealed-token/v1".getBytes(StandardCharsets.US_ASCII);

    private final SealingKeys keys;

    /** A sealer with {@code keys}. */
    TokenSealer(SealingKeys keys) {
        this.keys = Objects.requireNonNull(keys, "keys");
    }

    /** The keys in use. */
    SealingKeys keys() {
        return keys;
    }

    /**
     * Seals {@code token} for {@code key}; the store may forget it at {@code storeExpiresAt}.
     */
    SealedToken seal(StoreKey key, AccessToken token, Instant storeExpiresAt) {
        byte[] plain = TokenCodec.encode(token);
        try {
            byte[] id = keys.currentId().getBytes(StandardCharsets.US_ASCII);
            byte[] nonce = new byte[NONCE_BYTES];
            Nonces.RANDOM.nextBytes(nonce);
            byte[] header = new byte[2 + id.length];
            header[0] = VERSION;
            header[1] = (byte) id.length;
            System.arraycopy(id, 0, header, 2, id.length);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, keys.current(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(aad(key, header));
            byte[] sealed = cipher.doFinal(plain);
            return new SealedToken(
                    ByteBuffer.allocate(header.length + NONCE_BYTES + sealed.length)
                            .put(header)
                            .put(nonce)
                            .put(sealed)
                            .array(),
                    storeExpiresAt);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JVM", e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /**
     * Opens a sealed entry read under {@code key}.
     *
     * @throws UnsealException if the entry is corrupt, truncated, of an unknown format, sealed with
     *     a key this sealer does not have, or was sealed for another store key
     */
    AccessToken unseal(StoreKey key, SealedToken token) {
        byte[] bytes = token.bytes();
        if (bytes.length < 2 || bytes[0] != VERSION) {
            throw new UnsealException("unknown format (not a tokenkeeper sealed token, or a newer version)");
        }
        int idLength = bytes[1] & 0xFF;
        int headerLength = 2 + idLength;
        if (idLength == 0 || bytes.length < headerLength + NONCE_BYTES + TAG_BITS / 8) {
            throw new UnsealException("truncated entry");
        }
        String id = new String(bytes, 2, idLength, StandardCharsets.US_ASCII);
        SecretKey secretKey = keys.find(id);
        if (secretKey == null) {
            throw new UnsealException("sealed with key id '" + id + "', which is not configured (have " + keys.ids() + ")");
        }
        byte[] plain = null;
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(
                    Cipher.DECRYPT_MODE, secretKey, new GCMParameterSpec(TAG_BITS, bytes, headerLength, NONCE_BYTES));
            cipher.updateAAD(aad(key, Arrays.copyOf(bytes, headerLength)));
            plain = cipher.doFinal(bytes, headerLength + NONCE_BYTES, bytes.length - headerLength - NONCE_BYTES);
            return TokenCodec.decode(plain);
        } catch (AEADBadTagException e) {
            throw new UnsealException("authentication failed (corrupt, wrong key, or copied from another store key)");
        } catch (GeneralSecurityException e) {
            throw new UnsealException("cannot open: " + e.getClass().getSimpleName());
        } catch (IllegalArgumentException e) {
            throw new UnsealException("opened, but the content is malformed: " + e.getMessage());
        } finally {
            if (plain != null) {
                Arrays.fill(plain, (byte) 0);
            }
        }
    }

    private static byte[] aad(StoreKey key, byte[] header) {
        byte[] k = key.value().getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(CONTEXT.length + 1 + k.length + header.length)
                .put(CONTEXT)
                .put((byte) 0)
                .put(k)
                .put(header)
                .array();
    }

    /** A sealed entry could not be opened. The message says why and holds no secret. */
    static final class UnsealException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnsealException(String message) {
            super(message);
        }
    }

    /** Made on first use: opening a token (the CLI's cached read) needs no randomness. */
    private static final class Nonces {
        static final SecureRandom RANDOM = new SecureRandom();
    }
}
