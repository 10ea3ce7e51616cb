package dev.tokenkeeper.bootstrap.persistence;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.Secret;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Redis URI or JDBC URL split into a location that holds no password and the credentials that
 * were in it, so that the password travels to the driver as a separate value and never as part of
 * a URL that a driver, a parser or a message could echo.
 *
 * <p>The password may be in the user info ({@code redis://:pw@host}, {@code redis://user:pw@host},
 * {@code jdbc:postgresql://user:pw@host/db}, percent-encoded or not, even holding {@code / @ : # ?}
 * or spaces: the user info ends at the last {@code @} before any {@code user=} or
 * {@code password=} parameter), or in a parameter ({@code ?password=},
 * {@code &password=}, {@code ;password=}, any case). An {@code @} that belongs to a parameter
 * ({@code ?user=me@corp}) does not start user info.
 *
 * @param location the URL without user info and without a password parameter
 * @param user the user from the user info, or null (a {@code user=} parameter stays in the location)
 * @param password the password, or null
 */
public record StoreUrl(String location, String user, Secret password) {

    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)([?&;])password=([^&;]*)");
    private static final Pattern PARAMETER_BEFORE_AT = Pattern.compile("(?i)[?&;](user|username|password)=");
    private static final Pattern USER_INFO = Pattern.compile("//[^\\s]*@");

    public StoreUrl {
        Objects.requireNonNull(location, "location");
    }

    /**
     * Splits {@code url}.
     *
     * @throws ConfigurationException if it holds two passwords; the message never shows either
     */
    public static StoreUrl split(String url) {
        Objects.requireNonNull(url, "url");
        String location = url.strip();
        String user = null;
        String password = null;
        int slashes = location.indexOf("//");
        if (slashes >= 0) {
            String rest = location.substring(slashes + 2);
            int at = userInfoEnd(rest);
            if (at >= 0) {
                String info = rest.substring(0, at);
                int colon = info.indexOf(':');
                user = decode(colon < 0 ? info : info.substring(0, colon));
                password = colon < 0 ? null : decode(info.substring(colon + 1));
                location = location.substring(0, slashes + 2) + rest.substring(at + 1);
            }
        }
        Matcher m = PASSWORD_PARAMETER.matcher(location);
        List<String> fromParameters = new ArrayList<>();
        StringBuilder without = new StringBuilder();
        while (m.find()) {
            boolean query = !m.group(1).equals(";");
            fromParameters.add(query ? decode(m.group(2)) : m.group(2));
            // keep the separator that starts a query so that the next parameter stays one
            m.appendReplacement(without, m.group(1).equals("?") ? "?" : "");
        }
        m.appendTail(without);
        location = without.toString().replace("?&", "?");
        if (location.endsWith("?")) {
            location = location.substring(0, location.length() - 1);
        }
        if (!fromParameters.isEmpty()) {
            if (password != null || fromParameters.size() > 1) {
                throw new ConfigurationException("the URL gives the password twice; give it once");
            }
            password = fromParameters.get(0);
        }
        return new StoreUrl(location, user == null || user.isEmpty() ? null : user,
                password == null || password.isEmpty() ? null : Secret.of(password));
    }

    /**
     * This URL with {@code external} as its password (from {@code store.password-env}, a file, …).
     *
     * @param external the password given apart from the URL, or null
     * @throws ConfigurationException if the URL has a password too
     */
    public StoreUrl withPassword(Secret external) {
        if (external == null) {
            return this;
        }
        if (password != null) {
            throw new ConfigurationException("the URL holds a password and one is also given apart from it; "
                    + "remove it from the URL");
        }
        return new StoreUrl(location, user, external);
    }

    /**
     * {@code text} with every form of this URL's password hidden (raw, percent-encoded,
     * form-encoded) and any user info or password parameter hidden too; for messages from drivers.
     */
    public String scrub(String text) {
        if (text == null) {
            return null;
        }
        String s = text;
        if (password != null) {
            Set<String> forms = new LinkedHashSet<>();
            String p = password.reveal();
            forms.add(p);
            forms.add(URLEncoder.encode(p, StandardCharsets.UTF_8));
            forms.add(URLEncoder.encode(p, StandardCharsets.UTF_8).replace("+", "%20"));
            forms.add(p.strip());
            for (String f : forms.stream().sorted((a, b) -> b.length() - a.length()).toList()) {
                if (!f.isEmpty()) {
                    s = s.replace(f, "***");
                }
            }
        }
        return redact(s);
    }

    /** The location, which never holds a password. */
    @Override
    public String toString() {
        return redact(location);
    }

    /**
     * {@code text} with anything that looks like user info ({@code //…@}, up to the last {@code @}
     * of a whitespace-free run) or a password parameter replaced by {@code ***}: the last defence
     * for text that may hold a URL whose password is not known.
     */
    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        return USER_INFO.matcher(text).replaceAll("//***@").replaceAll("(?i)(password=)[^&;\\s]*", "$1***");
    }

    /** The index in {@code rest} (the URL after {@code //}) of the {@code @} that ends user info, or -1. */
    private static int userInfoEnd(String rest) {
        // the last @ that no user or password parameter precedes: an @ inside a parameter value
        // (?user=me@corp, ?password=a@b) is not user info, but one inside the password is
        for (int at = rest.lastIndexOf('@'); at >= 0; at = rest.lastIndexOf('@', at - 1)) {
            if (!PARAMETER_BEFORE_AT.matcher(rest.substring(0, at)).find()) {
                return at;
            }
        }
        return -1;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s; // a raw % that starts no escape: the text is the password as typed
        }
    }
}
