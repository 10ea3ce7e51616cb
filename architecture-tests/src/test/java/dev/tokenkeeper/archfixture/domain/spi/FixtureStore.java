package dev.tokenkeeper.archfixture.domain.spi;

import dev.tokenkeeper.archfixture.domain.CleanDomainType;

/** Keeps the domain rules: an implementer-facing type built on the domain root only. */
public interface FixtureStore {
    void save(CleanDomainType token);
}
