package dev.tokenkeeper.adapter.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URI;

/**
 * The redirect rules of {@link AuthenticatedWebClient}: which answers are followed, where to, and
 * whether the target has the addressed origin (RFC 6454: scheme, host and port; hosts compared by
 * name, never by DNS) are the ones every client integration shares,
 * {@link dev.tokenkeeper.domain.api.Redirects}; this class adapts them to Vert.x requests. Which redirects are followed mirrors Vert.x's default redirect handler, so
 * that only the credential handling differs from the wrapped client's. Stateless.
 */
final class Redirects {

    /** As many as Vert.x follows by default ({@code HttpClientOptions.DEFAULT_MAX_REDIRECTS}). */
    static final int MAX_REDIRECTS = 16;

    private Redirects() {}

    /** Where a redirect leads, with which method, and whether the request body goes along. */
    record Next(URI uri, HttpMethod method, boolean keepsBody) {}

    /**
     * The absolute URI {@code request} addresses, or null when its template does not say (a URI
     * template, or TLS left to the client's default): then no redirect is followed at all.
     */
    static URI addressed(HttpRequest<?> request) {
        String host = request.host();
        Boolean ssl = request.ssl();
        String path = request.uri();
        if (host == null || host.isEmpty() || ssl == null) {
            return null;
        }
        if (path == null || !path.startsWith("/")) {
            path = "/";
        }
        String scheme = ssl ? "https" : "http";
        int port = request.port() >= 0 ? request.port() : defaultPort(scheme);
        try {
            return URI.create(scheme + "://" + host + ":" + port + path);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The redirect {@code response} asks for, or null if it is not one that is followed: 301, 302,
     * 307 and 308 for GET and HEAD, 303 for any method (then as GET, or HEAD for HEAD), with a
     * {@code Location} that resolves against {@code at} to an http(s) URI with a host.
     */
    static Next next(HttpResponse<?> response, URI at, HttpMethod method) {
        return dev.tokenkeeper.domain.api.Redirects
                .next(response.statusCode(), response.getHeader(HttpHeaders.LOCATION), at, method.name())
                .map(hop -> new Next(hop.uri(), HttpMethod.valueOf(hop.method()), hop.keepsBody()))
                .orElse(null);
    }

    /** Whether {@code a} and {@code b} have one origin: the shared rule, {@link dev.tokenkeeper.domain.api.Redirects#sameOrigin}. */
    static boolean sameOrigin(URI a, URI b) {
        return dev.tokenkeeper.domain.api.Redirects.sameOrigin(a, b);
    }

    /**
     * The request for {@code next}, from {@code client}: the previous request's headers (but its
     * Host, Content-Length and, when the body is dropped, its content headers) and timeouts. The
     * caller decides about credentials.
     */
    static HttpRequest<Buffer> request(WebClient client, HttpRequest<Buffer> previous, Next next) {
        HttpRequest<Buffer> request = client.requestAbs(next.method(), next.uri().toASCIIString());
        request.headers().setAll(previous.headers());
        request.headers().remove(HttpHeaders.HOST).remove(HttpHeaders.CONTENT_LENGTH);
        if (!next.keepsBody()) {
            request.headers().remove(HttpHeaders.CONTENT_TYPE).remove(HttpHeaders.TRANSFER_ENCODING);
        }
        if (previous.timeout() >= 0) {
            request.timeout(previous.timeout());
        }
        if (previous.idleTimeout() >= 0) {
            request.idleTimeout(previous.idleTimeout());
        }
        if (previous.connectTimeout() >= 0) {
            request.connectTimeout(previous.connectTimeout());
        }
        if (previous.proxy() != null) {
            request.proxy(previous.proxy());
        }
        return request;
    }

    private static int defaultPort(String scheme) {
        return scheme.equals("https") ? 443 : 80;
    }
}
