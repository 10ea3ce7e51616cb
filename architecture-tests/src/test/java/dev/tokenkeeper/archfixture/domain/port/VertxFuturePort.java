package dev.tokenkeeper.archfixture.domain.port;

import io.vertx.core.Future;

/** Breaks "the core API exposes no vendor type" (and the pure domain): a Vert.x future in a port. */
public interface VertxFuturePort {
    Future<String> token(String key);
}
