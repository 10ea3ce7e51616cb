package dev.tokenkeeper.archfixture.adapter.store.redis;

import dev.tokenkeeper.archfixture.adapter.store.jdbc.FixtureJdbcStore;

/** Breaks "store adapters do not depend on each other": redis falls back on the JDBC store. */
public final class RedisStoreUsingJdbcStore {
    private final FixtureJdbcStore fallback = new FixtureJdbcStore();

    public String load(String key) {
        return fallback.load(key);
    }
}
