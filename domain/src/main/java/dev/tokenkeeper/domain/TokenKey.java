package dev.tokenkeeper.domain;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What a token is for: a client registration (the name a configuration gives to one client of one
 * identity provider), the scopes requested, and optionally the audience and resource indicator.
 * Two keys with the same scopes in a different order are equal.
 *
 * <p>A key holds no secret: the registration name is a configuration label, not the client id.
 * Immutable and thread-safe; {@link #hashCode()} is computed once, so a key built once and reused
 * makes the cache lookup on the hot path allocation-free.
 */
public final class TokenKey {

    private final String client;
    private final SortedSet<String> scopes;
    private final String audience;
    private final String resource;
    private final String scopeString;
    private final int hash;

    private TokenKey(String client, Collection<String> scopes, String audience, String resource) {
        this.client = requireLabel(client, "client");
        TreeSet<String> sorted = new TreeSet<>();
        for (String scope : Objects.requireNonNull(scopes, "scopes")) {
            sorted.add(requireScopeToken(scope));
        }
        this.scopes = Collections.unmodifiableSortedSet(sorted);
        this.audience = audience == null ? null : requireLabel(audience, "audience");
        this.resource = resource == null ? null : requireLabel(resource, "resource");
        this.scopeString = String.join(" ", sorted);
        this.hash = Objects.hash(this.client, this.scopes, this.audience, this.resource);
    }

    /** A key for {@code client} with the given scopes and no audience or resource. */
    public static TokenKey of(String client, String... scopes) {
        return new TokenKey(client, List.of(scopes), null, null);
    }

    /** A builder for keys with an audience or a resource indicator. */
    public static Builder builder(String client) {
        return new Builder(client);
    }

    /** The client registration name. */
    public String client() {
        return client;
    }

    /** The requested scopes, sorted; empty when the client's default scopes are wanted. */
    public SortedSet<String> scopes() {
        return scopes;
    }

    /** The scopes as the space-separated {@code scope} parameter of RFC 6749, sorted. */
    public String scopeString() {
        return scopeString;
    }

    /** The requested audience ({@code audience} parameter), if any. */
    public Optional<String> audience() {
        return Optional.ofNullable(audience);
    }

    /** The requested resource indicator (RFC 8707 {@code resource} parameter), if any. */
    public Optional<String> resource() {
        return Optional.ofNullable(resource);
    }

    /**
     * A stable, unambiguous byte form of this key (each part length-prefixed), for deriving
     * storage identifiers. Equal keys give equal bytes.
     */
    public byte[] canonicalBytes() {
        StringBuilder sb = new StringBuilder();
        append(sb, client);
        append(sb, scopeString);
        append(sb, audience == null ? "" : audience);
        append(sb, resource == null ? "" : resource);
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void append(StringBuilder sb, String part) {
        sb.append(part.length()).append(':').append(part).append(';');
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        return o instanceof TokenKey k
                && hash == k.hash
                && client.equals(k.client)
                && scopes.equals(k.scopes)
                && Objects.equals(audience, k.audience)
                && Objects.equals(resource, k.resource);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("TokenKey[client=").append(client).append(", scopes=").append(scopes);
        if (audience != null) {
            sb.append(", audience=").append(audience);
        }
        if (resource != null) {
            sb.append(", resource=").append(resource);
        }
        return sb.append(']').toString();
    }

    private static String requireLabel(String value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
        return value;
    }

    /** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
    private static String requireScopeToken(String scope) {
        Objects.requireNonNull(scope, "scope");
        if (scope.isEmpty()) {
            throw new IllegalArgumentException("a scope must not be empty");
        }
        for (int i = 0; i < scope.length(); i++) {
            char c = scope.charAt(i);
            if (c < 0x21 || c == 0x22 || c == 0x5C || c > 0x7E) {
                throw new IllegalArgumentException(
                        "scope '" + scope + "' has a character RFC 6749 forbids at index " + i);
            }
        }
        return scope;
    }

    /** Builds a {@link TokenKey}. Not thread-safe. */
    public static final class Builder {
        private final String client;
        private final TreeSet<String> scopes = new TreeSet<>();
        private String audience;
        private String resource;

        private Builder(String client) {
            this.client = client;
        }

        /** Adds scopes. */
        public Builder scopes(String... scopes) {
            this.scopes.addAll(List.of(scopes));
            return this;
        }

        /** Adds scopes. */
        public Builder scopes(Collection<String> scopes) {
            this.scopes.addAll(scopes);
            return this;
        }

        /** Sets the audience. */
        public Builder audience(String audience) {
            this.audience = audience;
            return this;
        }

        /** Sets the resource indicator. */
        public Builder resource(String resource) {
            this.resource = resource;
            return this;
        }

        /** The key. */
        public TokenKey build() {
            return new TokenKey(client, scopes, audience, resource);
        }
    }
}
