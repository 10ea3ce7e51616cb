package dev.tokenkeeper.archfixture.application;

import dev.tokenkeeper.archfixture.adapter.store.memory.FixtureMemoryStore;

/** Breaks "only bootstrap wires adapters" (and "no infrastructure"): the application picks a store. */
public final class WiresMemoryStoreItself {
    private final FixtureMemoryStore store = new FixtureMemoryStore();

    public String load(String key) {
        return store.load(key);
    }
}
