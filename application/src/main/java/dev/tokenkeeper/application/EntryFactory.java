package dev.tokenkeeper.application;

import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.api.TokenStatus;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/** Turns a token into a near-cache {@link Entry}: the expiry policy's schedule, with its jitter. Thread-safe. */
final class EntryFactory {
    private final ExpiryPolicy policy;
    private final RandomGenerator random;

    /** {@code random} null means {@link ThreadLocalRandom}. */
    EntryFactory(ExpiryPolicy policy, RandomGenerator random) {
        this.policy = policy;
        this.random = random;
    }

    Entry entry(AccessToken token, TokenStatus.Source source) {
        ExpiryPolicy.Schedule schedule;
        if (random == null) {
            schedule = policy.schedule(token, ThreadLocalRandom.current());
        } else {
            synchronized (random) { // an injected generator need not be thread-safe
                schedule = policy.schedule(token, random);
            }
        }
        return new Entry(token, schedule.refreshAtMillis(), schedule.expiresAtMillis(), source);
    }
}
