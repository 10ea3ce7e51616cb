package dev.tokenkeeper.domain.api;

import java.net.URI;
import java.util.Locale;
import java.util.Optional;

/**
 * The redirect rules an authenticating HTTP client follows, for adapters whose client cannot be
 * trusted to keep the token with the addressed origin and so follow redirects themselves, hop by
 * hop: which answers are followed, where to, with which method, and whether the target has the
 * addressed origin (RFC 6454: scheme, host and port; hosts compared by name, never by DNS).
 *
 * <p>Which redirects are followed mirrors the common clients (Vert.x, OkHttp, the JDK's): 301, 302,
 * 307 and 308 for GET and HEAD, 303 for any method (as GET, the body dropped), at most
 * {@link #MAX_REDIRECTS} per request. The credentials go along only while every hop so far has kept
 * the addressed origin: once a redirect has left it, nothing in that chain is sent with them, even
 * if a later hop comes back (as OkHttp, curl and Reactor Netty do). Stateless.
 */
public final class Redirects {

    /** How many redirects one request follows at most. */
    public static final int MAX_REDIRECTS = 16;

    private Redirects() {}

    /**
     * One redirect to follow: the target URI, the method to use there, and whether the request body
     * goes along (307 and 308 only).
     */
    public record Hop(URI uri, String method, boolean keepsBody) {}

    /**
     * The redirect an answer asks for, or empty if it is not one to follow: {@code status} 301, 302,
     * 307 or 308 for GET and HEAD, 303 for any method, with a {@code location} that resolves against
     * {@code at} to an http(s) URI with a host.
     *
     * @param status the answer's status
     * @param location its {@code Location} header, or null
     * @param at the URI the answered request was sent to
     * @param method the answered request's method
     */
    public static Optional<Hop> next(int status, String location, URI at, String method) {
        if (at == null || location == null || method == null
                || status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
            return Optional.empty();
        }
        String m = method.toUpperCase(Locale.ROOT);
        String nextMethod = m;
        if (status == 303) {
            nextMethod = m.equals("HEAD") ? "HEAD" : "GET";
        } else if (!m.equals("GET") && !m.equals("HEAD")) {
            return Optional.empty();
        }
        URI target;
        try {
            target = at.resolve(location.strip());
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // an unreadable Location: the redirect itself is the caller's answer
        }
        String scheme = target.getScheme() == null ? "" : target.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || target.getHost() == null) {
            return Optional.empty();
        }
        return Optional.of(new Hop(target, nextMethod, status == 307 || status == 308));
    }

    /** Whether {@code a} and {@code b} have one origin: scheme, host (by name, ignoring case) and effective port. */
    public static boolean sameOrigin(URI a, URI b) {
        if (a == null || b == null || a.getScheme() == null || b.getScheme() == null || a.getHost() == null
                || b.getHost() == null) {
            return false;
        }
        String scheme = a.getScheme().toLowerCase(Locale.ROOT);
        return scheme.equals(b.getScheme().toLowerCase(Locale.ROOT))
                && a.getHost().equalsIgnoreCase(b.getHost())
                && effectivePort(a) == effectivePort(b);
    }

    private static int effectivePort(URI uri) {
        if (uri.getPort() >= 0) {
            return uri.getPort();
        }
        return uri.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }
}
