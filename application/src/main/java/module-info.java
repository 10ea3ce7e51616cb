/**
 * The token manager: hands out tokens through the domain's {@code TokenProvider}, single flight,
 * the shared tier, leases and the refresh sweep.
 *
 * <p>Only {@code dev.tokenkeeper.application} is API. {@code dev.tokenkeeper.application.internal}
 * (and any package below it) is not exported: no other module may use it, which the consumer-module
 * test in architecture-tests proves. Failsafe is how timeout, retry and the breaker are implemented;
 * no Failsafe type appears in the API, so it is read, not re-exported.
 */
module dev.tokenkeeper.application {
    // domain types (TokenKey, TokenProvider, TokenStore, …) are in the application's signatures
    requires transitive dev.tokenkeeper.domain;
    requires dev.failsafe.core;

    exports dev.tokenkeeper.application;
}
