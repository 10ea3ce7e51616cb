package dev.tokenkeeper.domain.spi;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * A token as a store keeps it: encrypted bytes a store cannot read, and the instant after which
 * the store may forget them. Immutable: the bytes are copied in and out.
 */
public final class SealedToken {

    private final byte[] bytes;
    private final Instant expiresAt;

    /**
     * @param bytes the sealed bytes, not empty
     * @param expiresAt when the store may drop the entry
     */
    public SealedToken(byte[] bytes, Instant expiresAt) {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length == 0) {
            throw new IllegalArgumentException("sealed bytes must not be empty");
        }
        this.bytes = bytes.clone();
        this.expiresAt = Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** A copy of the sealed bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** How many sealed bytes there are. */
    public int length() {
        return bytes.length;
    }

    /** When the store may drop the entry. */
    public Instant expiresAt() {
        return expiresAt;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SealedToken s && Arrays.equals(bytes, s.bytes) && expiresAt.equals(s.expiresAt);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(bytes) + expiresAt.hashCode();
    }

    @Override
    public String toString() {
        return "SealedToken[" + bytes.length + " bytes, expiresAt=" + expiresAt + "]";
    }
}
