package dev.tokenkeeper.archfixture.application;

import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Breaks the signature rule (and "no infrastructure"): a Vert.x type hidden in a type argument. */
public final class VertxFutureInGenericSignature {
    public CompletableFuture<List<Future<String>>> pending() {
        return CompletableFuture.completedFuture(List.of());
    }
}
