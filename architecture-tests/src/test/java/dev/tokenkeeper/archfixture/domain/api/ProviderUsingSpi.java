package dev.tokenkeeper.archfixture.domain.api;

import dev.tokenkeeper.archfixture.domain.spi.FixtureStore;

/** Breaks "domain.api and domain.spi are independent": a caller-facing type that hands out a store. */
public interface ProviderUsingSpi {
    FixtureStore store();
}
