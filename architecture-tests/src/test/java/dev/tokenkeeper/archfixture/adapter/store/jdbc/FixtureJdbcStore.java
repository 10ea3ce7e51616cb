package dev.tokenkeeper.archfixture.adapter.store.jdbc;

/** Keeps every rule: a second store adapter. */
public final class FixtureJdbcStore {
    public String load(String key) {
        return key;
    }
}
