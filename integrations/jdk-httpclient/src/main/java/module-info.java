/**
 * tokenkeeper for the JDK's {@code java.net.http.HttpClient}: a delegating client that adds the
 * token by the shared rules of the domain's caller-facing API. Depends on that API and the JDK only.
 */
module dev.tokenkeeper.integration.client.jdk {
    requires transitive dev.tokenkeeper.domain;
    requires transitive java.net.http; // AuthenticatedHttpClient is an HttpClient

    exports dev.tokenkeeper.integration.client.jdk;
}
