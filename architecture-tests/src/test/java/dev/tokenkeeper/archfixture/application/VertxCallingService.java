package dev.tokenkeeper.archfixture.application;

import io.vertx.core.Vertx;

/** Breaks "the application uses no infrastructure": Vert.x inside the application. */
public final class VertxCallingService {
    private final Vertx vertx = Vertx.vertx();

    void close() {
        vertx.close();
    }
}
