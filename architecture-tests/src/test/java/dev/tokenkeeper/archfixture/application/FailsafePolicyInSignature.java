package dev.tokenkeeper.archfixture.application;

import dev.failsafe.RetryPolicy;

/** Breaks both Failsafe rules: a public application type that returns a Failsafe policy. */
public final class FailsafePolicyInSignature {
    public RetryPolicy<Object> retryPolicy() {
        return RetryPolicy.ofDefaults();
    }
}
