package dev.tokenkeeper.archfixture.bootstrap;

import dev.tokenkeeper.archfixture.adapter.store.jdbc.FixtureJdbcStore;
import dev.tokenkeeper.archfixture.adapter.store.memory.FixtureMemoryStore;
import dev.tokenkeeper.archfixture.application.CleanService;

/** Keeps every rule: bootstrap is the place that knows the adapters and the application. */
public final class FixtureWiring {
    public Object[] wire(boolean inMemory) {
        Object store = inMemory ? new FixtureMemoryStore() : new FixtureJdbcStore();
        return new Object[] {store, new CleanService()};
    }
}
