package dev.tokenkeeper.archfixture.adapter.store.memory;

import dev.tokenkeeper.archfixture.domain.CleanDomainType;

/** Keeps every rule: an adapter that uses the domain only. */
public final class FixtureMemoryStore {
    public String load(String key) {
        return key;
    }

    public void save(CleanDomainType token) {
        token.name();
    }
}
