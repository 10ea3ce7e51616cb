package dev.tokenkeeper.archfixture.integration.client.okhttp;

import dev.tokenkeeper.archfixture.domain.spi.FixtureStore;

/** Breaks "client integrations use only the caller-facing port": it reaches the store spi. */
public final class ClientIntegrationUsingSpi {
    private final FixtureStore store;

    public ClientIntegrationUsingSpi(FixtureStore store) {
        this.store = store;
    }

    public FixtureStore store() {
        return store;
    }
}
