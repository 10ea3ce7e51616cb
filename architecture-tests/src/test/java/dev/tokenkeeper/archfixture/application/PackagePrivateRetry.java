package dev.tokenkeeper.archfixture.application;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;

/** Keeps the Failsafe rules: a package-private class may use Failsafe, even in its signatures. */
final class PackagePrivateRetry {
    RetryPolicy<Object> policy = RetryPolicy.ofDefaults();

    public String call() {
        return Failsafe.with(policy).get(() -> "token");
    }
}
