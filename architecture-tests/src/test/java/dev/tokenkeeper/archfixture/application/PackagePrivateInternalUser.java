package dev.tokenkeeper.archfixture.application;

import dev.tokenkeeper.archfixture.application.internal.InternalHelper;

/** Keeps "no internal type in a public signature": a package-private class is not API. */
final class PackagePrivateInternalUser {
    public InternalHelper helper() {
        return null;
    }
}
