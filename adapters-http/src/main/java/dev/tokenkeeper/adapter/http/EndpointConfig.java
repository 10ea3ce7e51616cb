package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.domain.ConfigurationException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The validated, immutable settings of a {@link VertxTokenEndpoint}. The compact constructor
 * checks everything and reports every problem at once, each naming its setting and allowed range.
 */
record EndpointConfig(
        URI tokenUrl,
        String clientId,
        SecretSource clientSecret,
        ClientAuthentication authentication,
        URI revocationUrl,
        Duration connectTimeout,
        Duration requestTimeout,
        int maxResponseBytes,
        Duration maxExpiresIn,
        Duration defaultLifetime,
        Set<String> acceptedTokenTypes,
        TokenResponseValidator validator,
        boolean allowInsecureHttp,
        InstantSource clock) {

    static final Duration MAX_TIMEOUT = Duration.ofMinutes(5);
    static final int MIN_RESPONSE_BYTES = 1024;
    static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
    static final Duration MAX_LIFETIME_BOUND = Duration.ofDays(3650);

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    /** An authority that is a name and maybe a port: nothing in it can be a password. */
    private static final Pattern HOST_AND_PORT = Pattern.compile("[^:@/]+(:\\d{1,5})?");

    EndpointConfig {
        List<String> problems = new ArrayList<>();
        checkUrl("tokenUrl", tokenUrl, allowInsecureHttp, problems);
        if (revocationUrl != null) {
            checkUrl("revocationUrl", revocationUrl, allowInsecureHttp, problems);
        }
        if (clientId == null || clientId.isBlank()) {
            problems.add("clientId must not be blank");
        }
        if (clientSecret == null) {
            problems.add("clientSecret must be set");
        }
        if (authentication == null) {
            problems.add("clientAuthentication must be set (client_secret_basic, client_secret_post or none)");
        }
        boolean timeoutsInRange = checkDuration("connectTimeout", connectTimeout, Duration.ofMillis(1), MAX_TIMEOUT, problems)
                & checkDuration("requestTimeout", requestTimeout, Duration.ofMillis(1), MAX_TIMEOUT, problems);
        if (timeoutsInRange && connectTimeout.compareTo(requestTimeout) > 0) {
            problems.add("connectTimeout (" + connectTimeout + ") must not exceed requestTimeout (" + requestTimeout
                    + "): the request timeout bounds the whole exchange, connecting included");
        }
        if (maxResponseBytes < MIN_RESPONSE_BYTES || maxResponseBytes > MAX_RESPONSE_BYTES) {
            problems.add("maxResponseBytes must be between " + MIN_RESPONSE_BYTES + " and " + MAX_RESPONSE_BYTES
                    + ", was " + maxResponseBytes);
        }
        boolean lifetimesInRange = checkDuration("maxExpiresIn", maxExpiresIn, Duration.ofSeconds(1), MAX_LIFETIME_BOUND, problems)
                & checkDuration("defaultLifetime", defaultLifetime, Duration.ofSeconds(1), MAX_LIFETIME_BOUND, problems);
        if (lifetimesInRange && defaultLifetime.compareTo(maxExpiresIn) > 0) {
            problems.add("defaultLifetime (" + defaultLifetime + ") must not exceed maxExpiresIn (" + maxExpiresIn + ")");
        }
        if (acceptedTokenTypes == null || acceptedTokenTypes.isEmpty()) {
            problems.add("acceptedTokenTypes must name at least one token type, e.g. Bearer");
        }
        if (clock == null) {
            problems.add("clock must be set");
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }
        TreeSet<String> types = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        types.addAll(acceptedTokenTypes);
        acceptedTokenTypes = java.util.Collections.unmodifiableSet(types);
    }

    /**
     * {@code scheme://host:port/path} of {@code url}: what messages show. Never the query, never
     * user info; when the host cannot be read (a password with an unescaped {@code @} or {@code /}
     * makes the authority unparseable) only an authority that looks like {@code name[:port]}, and
     * no path; a path with an {@code @} is left out too, since it may be the rest of such a password.
     */
    static String display(URI url) {
        String scheme = url.getScheme() == null ? "" : url.getScheme();
        if (url.getHost() == null) {
            String authority = url.getRawAuthority();
            return scheme + "://" + (authority != null && HOST_AND_PORT.matcher(authority).matches() ? authority : "") + "…";
        }
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        return scheme + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
                + (path.contains("@") ? "/…" : path);
    }

    static void checkUrl(String name, URI url, boolean allowInsecureHttp, List<String> problems) {
        if (url == null) {
            problems.add(name + " must be set");
            return;
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!url.isAbsolute() || url.getHost() == null || !(scheme.equals("https") || scheme.equals("http"))) {
            problems.add(name + " must be an absolute http(s) URL with a host, was '" + display(url) + "'");
            return;
        }
        if (url.getRawUserInfo() != null) {
            problems.add(name + " must not carry credentials in the URL (user info); set clientId and clientSecret");
        }
        if (url.getRawFragment() != null) {
            problems.add(name + " must not have a fragment");
        }
        if (scheme.equals("http") && !allowInsecureHttp && !isLoopback(url.getHost())) {
            problems.add(name + " must use https, was " + display(url) + ": plain HTTP would send the client secret in "
                    + "clear text; http is allowed only to a loopback host (127.0.0.0/8, ::1, localhost) or with "
                    + "allowInsecureHttp(true)");
        }
    }

    /** Whether {@code host} is loopback by its literal form alone: never a DNS lookup at configuration time. */
    static boolean isLoopback(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.equals("localhost")) {
            return true; // not "*.localhost": whether those resolve to loopback depends on the resolver
        }
        boolean ipv6 = h.startsWith("[") && h.endsWith("]");
        if (!ipv6 && !IPV4.matcher(h).matches()) {
            return false;
        }
        try {
            // a literal address: getByName parses it without a lookup
            return InetAddress.getByName(ipv6 ? h.substring(1, h.length() - 1) : h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Whether {@code value} is set and within [min, max]; if not, adds a problem naming it. */
    private static boolean checkDuration(String name, Duration value, Duration min, Duration max, List<String> problems) {
        if (value == null) {
            problems.add(name + " must be set");
            return false;
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            problems.add(name + " must be between " + min + " and " + max + ", was " + value);
            return false;
        }
        return true;
    }

    @Override
    public String toString() {
        return "EndpointConfig[tokenUrl=" + display(tokenUrl) + ", clientId=" + clientId + ", authentication="
                + authentication + ", clientSecret=[redacted]]";
    }
}
