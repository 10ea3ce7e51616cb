package dev.tokenkeeper.archfixture.application;

import dev.failsafe.Failsafe;
import dev.failsafe.RetryPolicy;

/**
 * Breaks "Failsafe stays in the application implementation" but not the signature rule: a public
 * class that uses Failsafe only in its body.
 */
public final class FailsafeInsidePublicClass {
    public String token() {
        return Failsafe.with(RetryPolicy.ofDefaults()).get(() -> "token");
    }
}
