package dev.tokenkeeper.archfixture.domain;

import dev.tokenkeeper.archfixture.domain.api.FixtureProvider;

/** Breaks "the domain root uses neither api nor spi": a shared value type that knows a caller port. */
public record RootUsingApi(FixtureProvider provider) {
}
