package dev.tokenkeeper.archfixture.application.internal;

import dev.failsafe.RetryPolicy;

/** Keeps the Failsafe rules: a public Failsafe signature is fine inside an internal package. */
public final class FailsafeCall {
    public RetryPolicy<Object> policy() {
        return RetryPolicy.ofDefaults();
    }
}
