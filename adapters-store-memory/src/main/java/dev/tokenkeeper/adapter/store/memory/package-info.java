/**
 * A {@link dev.tokenkeeper.domain.spi.TokenStore} that lives in the heap of one JVM:
 * {@link dev.tokenkeeper.adapter.store.memory.MemoryTokenStore}. It shares nothing between
 * processes and keeps nothing across restarts; it is the default for a single instance and the
 * reference implementation of the store contract.
 */
package dev.tokenkeeper.adapter.store.memory;
