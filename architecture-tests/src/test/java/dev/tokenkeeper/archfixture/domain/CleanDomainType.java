package dev.tokenkeeper.archfixture.domain;

import java.time.Duration;
import java.util.List;

/** Keeps every rule: JDK types, primitives and arrays only. */
public record CleanDomainType(String name, Duration lifetime, byte[] sealed, List<String> scopes) {
    public long lifetimeMillis() {
        return lifetime.toMillis();
    }
}
