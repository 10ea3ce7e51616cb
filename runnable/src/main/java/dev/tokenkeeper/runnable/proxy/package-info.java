/**
 * The injecting proxy of {@code tokenkeeper serve}: per configured route, a local HTTP listener
 * that forwards every request to one upstream with a client's token added, by the library clients'
 * rules ({@link dev.tokenkeeper.domain.api.AuthenticatedRequests}), so that processes without token
 * code (a Python service, curl) call authenticated APIs.
 */
package dev.tokenkeeper.runnable.proxy;
