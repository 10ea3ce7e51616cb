package dev.tokenkeeper.adapter.store.redis;

import dev.tokenkeeper.domain.spi.SealedToken;
import java.nio.ByteBuffer;
import java.time.DateTimeException;
import java.time.Instant;

/**
 * The bytes of one token entry in Redis: a format byte, the expiry (epoch seconds, then nanoseconds)
 * and the sealed bytes, as they came. The expiry is kept in the value, not read back from the key's
 * TTL, so that it round-trips to the nanosecond and the read stays one {@code GET}.
 *
 * <pre>
 *   offset 0   1 byte    format, {@value #FORMAT_V1}
 *   offset 1   8 bytes   expiresAt epoch second, big-endian
 *   offset 9   4 bytes   expiresAt nano of second, big-endian
 *   offset 13  n bytes   sealed bytes (n &ge; 1)
 * </pre>
 */
final class EntryCodec {

    /** The first and only format; a new layout takes a new number so old entries stay readable. */
    static final byte FORMAT_V1 = 1;

    static final int HEADER_LENGTH = 1 + Long.BYTES + Integer.BYTES;

    private EntryCodec() {}

    static byte[] encode(SealedToken token) {
        Instant at = token.expiresAt();
        byte[] sealed = token.bytes();
        return ByteBuffer.allocate(HEADER_LENGTH + sealed.length)
                .put(FORMAT_V1)
                .putLong(at.getEpochSecond())
                .putInt(at.getNano())
                .put(sealed)
                .array();
    }

    /**
     * @throws IllegalArgumentException if {@code value} is not an entry this codec wrote (the message
     *     says why, without showing any of the bytes)
     */
    static SealedToken decode(byte[] value) {
        if (value.length <= HEADER_LENGTH) {
            throw new IllegalArgumentException("entry too short: " + value.length + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(value);
        byte format = in.get();
        if (format != FORMAT_V1) {
            throw new IllegalArgumentException("unknown entry format " + format);
        }
        long seconds = in.getLong();
        int nanos = in.getInt();
        if (nanos < 0 || nanos > 999_999_999) {
            throw new IllegalArgumentException("entry expiry out of range");
        }
        Instant expiresAt;
        try {
            expiresAt = Instant.ofEpochSecond(seconds, nanos);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("entry expiry out of range");
        }
        byte[] sealed = new byte[in.remaining()];
        in.get(sealed);
        return new SealedToken(sealed, expiresAt);
    }
}
