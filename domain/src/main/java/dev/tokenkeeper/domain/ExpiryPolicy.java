package dev.tokenkeeper.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Decides, from a token and an instant, whether the token is {@link Freshness#FRESH},
 * {@link Freshness#REFRESH_DUE} or {@link Freshness#EXPIRED}.
 *
 * <p>For a token of lifetime {@code L} expiring at {@code E}:
 * <ul>
 *   <li>it is <b>expired</b> from {@code E - skew}, where {@code skew = min(clockSkew, L/4)}: the
 *       clocks of this host and of the resource server may differ, and a token must not die in
 *       flight. The cap keeps a very short-lived token usable for most of its life;</li>
 *   <li>it is <b>refresh-due</b> from {@code E - skew - window + jitter}, where
 *       {@code window = min(max(ahead, refreshAheadFraction × L), L/2)}: the larger of the two settings
 *       wins. {@code ahead} is the configured {@code refreshAhead}; left at its default (60 s) it
 *       counts for at most a fifth of the lifetime, so a one-hour token with the defaults refreshes
 *       twelve minutes early, a two-minute token 24 s before it is expired, and a five-second token
 *       one second before (it is renewed at most twice per lifetime, not at a fraction of its life).
 *       A refreshAhead that was set explicitly is honoured up to half the lifetime. {@code jitter} is drawn uniformly from
 *       {@code [0, jitter × window / 2]} once per token, so that instances sharing a store do not
 *       all wake at the same instant; it only ever moves the refresh point <em>later</em>, so a
 *       holder never renews more often than the window asks for, and at least half the window is
 *       left to refresh in before the token is expired.</li>
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class ExpiryPolicy {

    /** Start refreshing at least a minute early: long enough for a few retries against a slow IdP. */
    public static final Duration DEFAULT_REFRESH_AHEAD = Duration.ofSeconds(60);
    /** ...or a fifth of the lifetime, if that is more: long-lived tokens get a wide margin. */
    public static final double DEFAULT_REFRESH_AHEAD_FRACTION = 0.2;
    /** Thirty seconds covers ordinary NTP drift between this host and a resource server. */
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
    /** Spread the refresh point (later) over up to an eighth of the refresh window. */
    public static final double DEFAULT_JITTER = 0.25;

    private static final ExpiryPolicy DEFAULTS = builder().build();

    private final Duration refreshAhead;
    /** Whether refreshAhead was set: an explicit one is honoured up to L/2, the default up to L/5. */
    private final boolean refreshAheadExplicit;
    private final double refreshAheadFraction;
    private final Duration clockSkew;
    private final double jitter;

    private ExpiryPolicy(Builder b) {
        this.refreshAhead = b.refreshAhead;
        this.refreshAheadExplicit = b.refreshAheadExplicit;
        this.refreshAheadFraction = b.refreshAheadFraction;
        this.clockSkew = b.clockSkew;
        this.jitter = b.jitter;
    }

    /** The policy with every default. */
    public static ExpiryPolicy defaults() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The refresh-ahead duration (the default counts for at most a fifth of a token's lifetime). */
    public Duration refreshAhead() {
        return refreshAhead;
    }

    /** The configured refresh-ahead fraction of the lifetime. */
    public double refreshAheadFraction() {
        return refreshAheadFraction;
    }

    /** The configured clock skew. */
    public Duration clockSkew() {
        return clockSkew;
    }

    /** The configured jitter, as a fraction of the refresh window. */
    public double jitter() {
        return jitter;
    }

    /**
     * The refresh and expiry points of {@code token}, with the jitter drawn from {@code random}.
     * Draw it once per token and keep the result: the points must not move between calls.
     */
    public Schedule schedule(AccessToken token, RandomGenerator random) {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(random, "random");
        long lifetimeMillis = token.lifetime().toMillis();
        long skew = Math.min(clockSkew.toMillis(), lifetimeMillis / 4);
        long usableUntil = token.expiresAt().toEpochMilli() - skew;
        long ahead = refreshAheadExplicit ? refreshAhead.toMillis() : Math.min(refreshAhead.toMillis(), lifetimeMillis / 5);
        long window = Math.min(Math.max(ahead, (long) (refreshAheadFraction * lifetimeMillis)), lifetimeMillis / 2);
        long spread = (long) (random.nextDouble() * jitter * window / 2);
        long refreshAt = Math.max(token.issuedAt().toEpochMilli(), usableUntil - window + spread);
        return new Schedule(refreshAt, usableUntil);
    }

    /** The freshness of {@code token} at {@code now}, without jitter. */
    public Freshness freshness(AccessToken token, Instant now) {
        return schedule(token).at(now);
    }

    /** The refresh and expiry points of {@code token} without jitter: the earliest refresh point. */
    public Schedule schedule(AccessToken token) {
        return schedule(token, ZeroRandom.INSTANCE);
    }

    @Override
    public String toString() {
        return "ExpiryPolicy[refreshAhead=" + refreshAhead + (refreshAheadExplicit ? "" : " (default)")
                + ", refreshAheadFraction=" + refreshAheadFraction
                + ", clockSkew=" + clockSkew + ", jitter=" + jitter + "]";
    }

    /**
     * When a token becomes refresh-due and when it becomes expired, in epoch milliseconds (so that
     * the hot path compares two longs and allocates nothing).
     *
     * @param refreshAtMillis the first instant at which the token is REFRESH_DUE
     * @param expiresAtMillis the first instant at which the token is EXPIRED
     */
    public record Schedule(long refreshAtMillis, long expiresAtMillis) {

        /** The freshness at {@code nowMillis} (epoch milliseconds). */
        public Freshness atMillis(long nowMillis) {
            if (nowMillis < refreshAtMillis) {
                return Freshness.FRESH;
            }
            return nowMillis < expiresAtMillis ? Freshness.REFRESH_DUE : Freshness.EXPIRED;
        }

        /** The freshness at {@code now}. */
        public Freshness at(Instant now) {
            return atMillis(now.toEpochMilli());
        }

        /** The first instant at which the token is REFRESH_DUE. */
        public Instant refreshAt() {
            return Instant.ofEpochMilli(refreshAtMillis);
        }

        /** The first instant at which the token is EXPIRED. */
        public Instant expiresAt() {
            return Instant.ofEpochMilli(expiresAtMillis);
        }
    }

    /** Builds an {@link ExpiryPolicy}; each setting is validated where it is set. Not thread-safe. */
    public static final class Builder {
        private Duration refreshAhead = DEFAULT_REFRESH_AHEAD;
        private boolean refreshAheadExplicit;
        private double refreshAheadFraction = DEFAULT_REFRESH_AHEAD_FRACTION;
        private Duration clockSkew = DEFAULT_CLOCK_SKEW;
        private double jitter = DEFAULT_JITTER;

        private Builder() {}

        /**
         * Refresh at least this long before expiry, up to half the token's lifetime; zero to rely on
         * the fraction alone. (Left unset, the default of 60 s counts for at most a fifth of the
         * lifetime, so short-lived tokens are not renewed at a fraction of their life.)
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder refreshAhead(Duration refreshAhead) {
            this.refreshAhead = nonNegative(refreshAhead, "refreshAhead");
            this.refreshAheadExplicit = true;
            return this;
        }

        /**
         * Refresh at least this fraction of the lifetime before expiry; zero to rely on the duration.
         *
         * @throws IllegalArgumentException if outside [0, 0.5]
         */
        public Builder refreshAheadFraction(double fraction) {
            this.refreshAheadFraction = fraction(fraction, 0.5, "refreshAheadFraction");
            return this;
        }

        /**
         * Treat a token as expired this long before its stated expiry.
         *
         * @throws IllegalArgumentException if negative
         */
        public Builder clockSkew(Duration clockSkew) {
            this.clockSkew = nonNegative(clockSkew, "clockSkew");
            return this;
        }

        /**
         * Spread the refresh point over up to half this fraction of the refresh window, later than
         * its start (never earlier); zero for none.
         *
         * @throws IllegalArgumentException if outside [0, 1]
         */
        public Builder jitter(double jitter) {
            this.jitter = fraction(jitter, 1.0, "jitter");
            return this;
        }

        /** The policy. */
        public ExpiryPolicy build() {
            return new ExpiryPolicy(this);
        }

        private static Duration nonNegative(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must be zero or positive, was " + d);
            }
            return d;
        }

        private static double fraction(double value, double max, String name) {
            if (!(value >= 0.0 && value <= max)) {
                throw new IllegalArgumentException(name + " must be between 0 and " + max + ", was " + value);
            }
            return value;
        }
    }

    /** A generator that always draws zero: the un-jittered schedule. */
    private enum ZeroRandom implements RandomGenerator {
        INSTANCE;

        @Override
        public long nextLong() {
            return 0L;
        }

        @Override
        public double nextDouble() {
            return 0.0;
        }
    }
}
