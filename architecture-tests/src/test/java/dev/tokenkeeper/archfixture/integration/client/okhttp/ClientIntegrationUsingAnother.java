package dev.tokenkeeper.archfixture.integration.client.okhttp;

import dev.tokenkeeper.archfixture.integration.client.jdk.CleanClientIntegration;

/** Breaks "client integrations do not depend on each other": the OkHttp one uses the JDK one. */
public final class ClientIntegrationUsingAnother {
    private final CleanClientIntegration jdk;

    public ClientIntegrationUsingAnother(CleanClientIntegration jdk) {
        this.jdk = jdk;
    }

    public CleanClientIntegration jdk() {
        return jdk;
    }
}
