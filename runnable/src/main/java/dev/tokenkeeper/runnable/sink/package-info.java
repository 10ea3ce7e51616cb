/**
 * Token sinks (issue 13): files that {@code serve} and {@code exec} keep holding each configured
 * client's current access token, for processes that read a file instead of calling anything. Their
 * settings are {@link dev.tokenkeeper.bootstrap.SinkConfig}; {@link dev.tokenkeeper.runnable.sink.TokenSinks}
 * keeps them fresh, {@code SinkFile} writes one atomically.
 */
package dev.tokenkeeper.runnable.sink;
