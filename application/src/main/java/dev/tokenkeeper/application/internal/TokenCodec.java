package dev.tokenkeeper.application.internal;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.Secret;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The plaintext form of a token inside a sealed entry: a versioned, length-prefixed binary layout.
 * Decoding rejects anything malformed with an {@link IllegalArgumentException}.
 *
 * <p>Format 1: value, type, issued-at, expires-at, scopes, optional refresh token. Format 2 adds,
 * after the refresh token, the refresh token's expiry. A token without a refresh token expiry is
 * still written as format 1, so instances of an older version keep reading the common entries
 * (client credentials carry no refresh token); both formats are read.
 */
public final class TokenCodec {

    private static final byte FORMAT_1 = 1;
    private static final byte FORMAT_2 = 2;
    private static final int MAX_STRING_BYTES = 1 << 20;
    private static final int MAX_SCOPES = 1024;

    private TokenCodec() {}

    /** Encodes {@code token}. */
    public static byte[] encode(AccessToken token) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + token.value().length());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            boolean refreshExpiry = token.refreshToken().isPresent() && token.refreshTokenExpiresAt().isPresent();
            out.writeByte(refreshExpiry ? FORMAT_2 : FORMAT_1);
            writeString(out, token.value().reveal());
            writeString(out, token.tokenType());
            out.writeLong(token.issuedAt().toEpochMilli());
            out.writeLong(token.expiresAt().toEpochMilli());
            out.writeInt(token.scopes().size());
            for (String scope : token.scopes()) {
                writeString(out, scope);
            }
            out.writeBoolean(token.refreshToken().isPresent());
            if (token.refreshToken().isPresent()) {
                writeString(out, token.refreshToken().get().reveal());
            }
            if (refreshExpiry) {
                out.writeLong(token.refreshTokenExpiresAt().get().toEpochMilli());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Decodes a token.
     *
     * @throws IllegalArgumentException if the bytes are not a token of a known format
     */
    public static AccessToken decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte format = in.readByte();
            if (format != FORMAT_1 && format != FORMAT_2) {
                throw new IllegalArgumentException("unknown token format " + format);
            }
            Secret value = Secret.of(readString(in));
            String type = readString(in);
            Instant issuedAt = Instant.ofEpochMilli(in.readLong());
            Instant expiresAt = Instant.ofEpochMilli(in.readLong());
            int scopeCount = in.readInt();
            if (scopeCount < 0 || scopeCount > MAX_SCOPES) {
                throw new IllegalArgumentException("bad scope count " + scopeCount);
            }
            Set<String> scopes = new LinkedHashSet<>();
            for (int i = 0; i < scopeCount; i++) {
                scopes.add(readString(in));
            }
            Secret refresh = in.readBoolean() ? Secret.of(readString(in)) : null;
            Instant refreshExpiresAt = null;
            if (format == FORMAT_2) {
                if (refresh == null) {
                    throw new IllegalArgumentException("a refresh token expiry without a refresh token");
                }
                refreshExpiresAt = Instant.ofEpochMilli(in.readLong());
            }
            if (in.available() != 0) {
                throw new IllegalArgumentException("trailing bytes");
            }
            return new AccessToken(value, type, issuedAt, expiresAt, scopes, refresh, refreshExpiresAt);
        } catch (EOFException e) {
            throw new IllegalArgumentException("truncated token");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_STRING_BYTES || n > in.available()) {
            throw new IllegalArgumentException("bad string length " + n);
        }
        return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }
}
