package dev.tokenkeeper.runnable.sidecar;

import dev.tokenkeeper.domain.TokenKey;
import java.util.Arrays;
import java.util.List;

/**
 * A client's key with other scopes (issue 12: the CLI's {@code token --scope}, the sidecar's
 * {@code /token/{client}?scope=}): the same client, audience and resource, the scopes asked for.
 * Each set of scopes is a key of its own, so it has its own cached and stored token.
 */
public final class ScopedKeys {

    private ScopedKeys() {}

    /**
     * {@code base} with {@code scope} (space- or comma-separated) instead of its scopes; {@code base}
     * itself when {@code scope} is null.
     *
     * @throws IllegalArgumentException if a scope is not a valid OAuth scope token
     */
    public static TokenKey withScope(TokenKey base, String scope) {
        if (scope == null) {
            return base;
        }
        List<String> scopes = Arrays.stream(scope.trim().split("[\\s,]+")).filter(s -> !s.isEmpty()).toList();
        return TokenKey.builder(base.client()).scopes(scopes).audience(base.audience().orElse(null))
                .resource(base.resource().orElse(null)).build();
    }
}
