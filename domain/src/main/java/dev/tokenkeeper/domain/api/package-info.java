/**
 * What callers use: {@link dev.tokenkeeper.domain.api.TokenProvider} (ask for a token, invalidate
 * it, read its status), and {@link dev.tokenkeeper.domain.api.TokenEventListener} with the sealed
 * {@link dev.tokenkeeper.domain.api.TokenEvent} family (observe what the manager does, for logs and
 * metrics). Business code and HTTP decorators depend on this package only.
 */
package dev.tokenkeeper.domain.api;
