package dev.tokenkeeper.domain.spi;

import java.util.Objects;

/**
 * The identifier under which a store keeps one token: an opaque digest of the
 * {@link dev.tokenkeeper.domain.TokenKey}, derived by the manager. It never contains a client id,
 * a secret or a token, so a store may use it as its key in clear.
 *
 * @param value 1 to 128 characters of {@code [A-Za-z0-9_-]}
 */
public record StoreKey(String value) {
    public StoreKey {
        Objects.requireNonNull(value, "value");
        if (value.isEmpty() || value.length() > 128) {
            throw new IllegalArgumentException("a store key must have 1 to 128 characters, had " + value.length());
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
            if (!ok) {
                throw new IllegalArgumentException("a store key may hold only [A-Za-z0-9_-], found '" + c + "'");
            }
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
