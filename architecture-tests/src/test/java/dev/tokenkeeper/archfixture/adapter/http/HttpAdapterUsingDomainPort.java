package dev.tokenkeeper.archfixture.adapter.http;

import dev.tokenkeeper.archfixture.domain.port.VertxFuturePort;

/**
 * Breaks "adapters depend on no module but the domain": domain.port is neither the domain root nor
 * its api or spi package, so an adapter may not use it until a rule gives it that place.
 */
public final class HttpAdapterUsingDomainPort {
    public String call(VertxFuturePort port) {
        return port.toString();
    }
}
