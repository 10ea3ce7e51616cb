package dev.tokenkeeper.archfixture.application;

import dev.tokenkeeper.archfixture.application.internal.InternalHelper;
import java.util.List;

/** Breaks "no internal type in a public signature": a user would have to name an internal class. */
public final class InternalTypeInSignature {
    public List<InternalHelper> helpers() {
        return List.of();
    }
}
