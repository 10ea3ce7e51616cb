package dev.tokenkeeper.bootstrap.fleet;

import dev.tokenkeeper.bootstrap.fleet.SecretScan.RawEntry;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.util.List;

/** One shared store for a fleet, as a {@link AbstractFleetIT} subclass provides it. */
interface StoreFixture extends AutoCloseable {

    /** A new client of the shared store for fleet instance {@code instance}; the fixture need not close it. */
    TokenStore newStore(int instance);

    /** Everything the store holds for this fixture, read with the store's own raw tools (KEYS/GET, SELECT *). */
    List<RawEntry> rawDump();

    /** Whether {@code entry} of {@link #rawDump()} is a token entry (not a lease or bookkeeping). */
    boolean isTokenEntry(RawEntry entry);

    /** Removes what the fixture created. */
    @Override
    void close();

    /** A store whose server the test may stop and start again (a private server, never the shared one). */
    interface Restartable extends StoreFixture {
        /** Stops the server process; returns once it no longer answers. */
        void stopServer();

        /** Starts it again at the same address; returns once it answers. */
        void startServer();
    }
}
