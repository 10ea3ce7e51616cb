package dev.tokenkeeper.domain;

/** What an {@link ExpiryPolicy} says of a token at a given instant. */
public enum Freshness {
    /** Serve it. */
    FRESH,
    /** Serve it, and start one refresh in the background. */
    REFRESH_DUE,
    /** Never serve it; a caller must wait for a new one. */
    EXPIRED
}
