/**
 * The tokenkeeper domain: value types, policies and the failure model ({@code dev.tokenkeeper.domain}),
 * what callers use ({@code dev.tokenkeeper.domain.api}: {@code TokenProvider}, {@code TokenEvent}, …)
 * and what store and endpoint implementers implement ({@code dev.tokenkeeper.domain.spi}:
 * {@code TokenStore}, {@code TokenEndpoint}, …).
 *
 * <p>Depends on {@code java.base} only; every package is API.
 */
module dev.tokenkeeper.domain {
    exports dev.tokenkeeper.domain;
    exports dev.tokenkeeper.domain.api;
    exports dev.tokenkeeper.domain.spi;
}
