package dev.tokenkeeper.adapter.http;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Makes text that came from outside (a server's {@code error_description}, an exception message)
 * safe to put into an exception message: control and format characters become spaces, every known
 * secret value (raw and form-urlencoded) becomes {@code [redacted]}, and the result is capped.
 * Immutable and thread-safe.
 */
final class Redactor {

    static final String REDACTED = "[redacted]";

    /** Long enough for a useful sentence from an IdP, short enough that a log line stays one line. */
    static final int MAX_TEXT_LENGTH = 200;

    private final List<String> secrets;

    private Redactor(List<String> secrets) {
        this.secrets = secrets;
    }

    static Redactor of(Collection<String> secrets) {
        return new Redactor(List.of()).with(secrets);
    }

    /** This redactor, also hiding {@code more}. */
    Redactor with(Collection<String> more) {
        List<String> all = new ArrayList<>(secrets);
        for (String s : more) {
            if (s != null && !s.isEmpty()) {
                all.add(s);
                String encoded = URLEncoder.encode(s, StandardCharsets.UTF_8);
                if (!encoded.equals(s)) {
                    all.add(encoded);
                }
            }
        }
        // longest first, so that a secret containing another is hidden whole
        all.sort(Comparator.comparingInt(String::length).reversed());
        return new Redactor(List.copyOf(all));
    }

    /** {@code text} made safe, at most {@link #MAX_TEXT_LENGTH} characters (plus an ellipsis). */
    String sanitize(String text) {
        return sanitize(text, MAX_TEXT_LENGTH);
    }

    String sanitize(String text, int maxLength) {
        if (text == null) {
            return null;
        }
        StringBuilder clean = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            clean.append(Character.isISOControl(c) || Character.getType(c) == Character.FORMAT ? ' ' : c);
        }
        String s = clean.toString();
        // redact before capping: capping first could leave a secret that straddles the cut unrecognised
        for (String secret : secrets) {
            s = s.replace(secret, REDACTED);
        }
        s = s.strip();
        return s.length() <= maxLength ? s : s.substring(0, maxLength) + "…";
    }
}
