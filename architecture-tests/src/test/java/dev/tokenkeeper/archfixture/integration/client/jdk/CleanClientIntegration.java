package dev.tokenkeeper.archfixture.integration.client.jdk;

import dev.tokenkeeper.archfixture.domain.api.FixtureProvider;

/** Keeps "client integrations use only the caller-facing port": it depends on domain.api alone. */
public final class CleanClientIntegration {
    private final FixtureProvider tokens;

    public CleanClientIntegration(FixtureProvider tokens) {
        this.tokens = tokens;
    }

    public FixtureProvider tokens() {
        return tokens;
    }
}
