package dev.tokenkeeper.archfixture.domain.api;

import dev.tokenkeeper.archfixture.domain.CleanDomainType;

/** Keeps the domain rules: a caller-facing type built on the domain root only. */
public interface FixtureProvider {
    CleanDomainType token(String key);
}
