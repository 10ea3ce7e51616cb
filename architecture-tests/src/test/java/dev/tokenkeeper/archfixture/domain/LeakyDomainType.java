package dev.tokenkeeper.archfixture.domain;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Breaks "domain depends only on the JDK": a logging library in the domain. */
public final class LeakyDomainType {
    private static final Logger LOG = LoggerFactory.getLogger(LeakyDomainType.class);

    public void decide() {
        LOG.info("deciding");
    }
}
