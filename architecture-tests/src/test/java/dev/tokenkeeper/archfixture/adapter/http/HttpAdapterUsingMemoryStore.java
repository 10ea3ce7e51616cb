package dev.tokenkeeper.archfixture.adapter.http;

import dev.tokenkeeper.archfixture.adapter.store.memory.FixtureMemoryStore;

/** Breaks "adapters do not depend on each other" (and "only bootstrap wires adapters"). */
public final class HttpAdapterUsingMemoryStore {
    private final FixtureMemoryStore cache = new FixtureMemoryStore();

    public String cached(String key) {
        return cache.load(key);
    }
}
