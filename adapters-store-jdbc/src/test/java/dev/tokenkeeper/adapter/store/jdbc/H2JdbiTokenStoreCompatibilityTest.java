package dev.tokenkeeper.adapter.store.jdbc;

import dev.tokenkeeper.domain.spi.TokenStore;
import dev.tokenkeeper.store.tck.TokenStoreCompatibilityKit;
import java.time.Duration;
import java.time.Instant;
import org.jdbi.v3.core.Jdbi;

/** The store contract on an in-memory H2 database, time moved by an injected clock. */
class H2JdbiTokenStoreCompatibilityTest extends TokenStoreCompatibilityKit {

    private static final Jdbi JDBI = TestDatabases.h2();
    private final TestDatabases.MutableClock clock = new TestDatabases.MutableClock();

    @Override
    protected TokenStore createStore() {
        return JdbiTokenStore.builder(JDBI).clock(clock).schemaAction(SchemaAction.APPLY).build();
    }

    @Override
    protected Instant now() {
        return clock.instant();
    }

    @Override
    protected void elapse(Duration duration) {
        clock.advance(duration);
    }
}
