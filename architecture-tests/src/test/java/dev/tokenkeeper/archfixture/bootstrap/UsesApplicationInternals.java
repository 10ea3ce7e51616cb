package dev.tokenkeeper.archfixture.bootstrap;

import dev.tokenkeeper.archfixture.application.internal.InternalHelper;

/** Breaks "internal packages are used only by their owner": bootstrap reaches into application.internal. */
public final class UsesApplicationInternals {
    public String describe() {
        return InternalHelper.describe("key");
    }
}
