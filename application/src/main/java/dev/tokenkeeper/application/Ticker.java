package dev.tokenkeeper.application;

/**
 * Elapsed time in nanoseconds, for lease waits and latencies (the clock decides expiry; this only
 * measures). Injected so that tests move it instead of sleeping; {@link #SYSTEM} reads
 * {@link System#nanoTime()}.
 */
@FunctionalInterface
interface Ticker {
    Ticker SYSTEM = System::nanoTime;

    long read();
}
