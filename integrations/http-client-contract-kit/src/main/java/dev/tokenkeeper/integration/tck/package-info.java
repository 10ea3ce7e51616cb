/**
 * The contract kit of tokenkeeper's HTTP client adapters: one abstract JUnit test
 * ({@link dev.tokenkeeper.integration.tck.AuthenticatedClientContractKit}) that each adapter's test
 * extends, and the loopback {@link dev.tokenkeeper.integration.tck.ResourceServer} it runs against.
 */
package dev.tokenkeeper.integration.tck;
