package dev.tokenkeeper.archfixture.application;

import dev.tokenkeeper.archfixture.application.internal.InternalHelper;
import dev.tokenkeeper.archfixture.domain.CleanDomainType;

/** Keeps every rule: uses the domain and its own module's internal package. */
public final class CleanService {
    public String describe(CleanDomainType token) {
        return InternalHelper.describe(token.name());
    }
}
