/** The in-memory {@code TokenStore}: one process, no server. Depends on the domain only. */
module dev.tokenkeeper.adapter.store.memory {
    requires transitive dev.tokenkeeper.domain;

    exports dev.tokenkeeper.adapter.store.memory;
}
