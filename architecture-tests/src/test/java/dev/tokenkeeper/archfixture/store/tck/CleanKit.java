package dev.tokenkeeper.archfixture.store.tck;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.archfixture.domain.CleanDomainType;
import org.junit.jupiter.api.Assertions;

/** Keeps the kit rule: domain, JUnit and AssertJ. */
public abstract class CleanKit {
    protected abstract CleanDomainType load();

    public void roundTrip() {
        assertThat(load()).isNotNull();
        Assertions.assertNotNull(load().name());
    }
}
