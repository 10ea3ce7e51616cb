/**
 * The store compatibility kit: {@link dev.tokenkeeper.store.tck.TokenStoreCompatibilityKit}, an
 * abstract JUnit 5 test class that checks the {@link dev.tokenkeeper.domain.spi.TokenStore}
 * contract. An adapter's test extends it and supplies a factory; see the class for an example.
 *
 * <p>This artifact is meant for test scope only: it depends on JUnit Jupiter and AssertJ at compile
 * scope so that a subclass needs nothing else.
 */
package dev.tokenkeeper.store.tck;
