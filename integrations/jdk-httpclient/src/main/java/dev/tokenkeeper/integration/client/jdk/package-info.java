/**
 * tokenkeeper for the JDK's {@link java.net.http.HttpClient}: {@link dev.tokenkeeper.integration.client.jdk.AuthenticatedHttpClient},
 * a delegating client that adds the token and follows the shared rules of
 * {@link dev.tokenkeeper.domain.api.AuthenticatedRequests}. Depends on the domain's caller-facing
 * API only.
 */
package dev.tokenkeeper.integration.client.jdk;
