package dev.tokenkeeper.adapter.http;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Makes text that came from outside (a server's {@code error_description}, an exception message)
 * safe to put into an exception message: every known secret value becomes {@code [redacted]}, then
 * control and format characters become spaces, and the result is capped.
 *
 * <p>A secret is found however a server may echo it back: raw; percent- or form-encoded (hex in
 * either case, {@code +} or {@code %20} for a space, each character encoded or not, and encoded
 * twice, e.g. {@code %250A}); JSON-escaped ({@code \n}, {@code \/}, {@code \u000a}) as text left
 * after one decoding; as an HTML character reference ({@code &#10;}, {@code &amp;}); and also
 * without the whitespace or control characters around it (a secret read with its trailing newline
 * is sent as {@code …%0A}, and a server may echo it trimmed), or with the control characters inside
 * it dropped or turned into spaces, as a server that cleans its text does. Redaction comes first, on the text as
 * received: replacing control characters first would change an echoed {@code "s3cret\n"} into
 * {@code "s3cret "}, which no longer matches the secret.
 *
 * <p>Immutable and thread-safe.
 */
final class Redactor {

    static final String REDACTED = "[redacted]";

    /** Long enough for a useful sentence from an IdP, short enough that a log line stays one line. */
    static final int MAX_TEXT_LENGTH = 200;

    private static final String HEX = "0123456789ABCDEF";

    /**
     * Each secret as given, trimmed, and with its control characters dropped or made spaces; and each
     * of those form-encoded, to find it encoded twice. Longest first.
     */
    private final List<String> secrets;

    private Redactor(List<String> secrets) {
        this.secrets = secrets;
    }

    static Redactor of(Collection<String> secrets) {
        return new Redactor(List.of()).with(secrets);
    }

    /** This redactor, also hiding {@code more}. */
    Redactor with(Collection<String> more) {
        Set<String> all = new LinkedHashSet<>(secrets);
        for (String s : more) {
            if (s == null || s.isEmpty()) {
                continue;
            }
            String trimmed = trim(s);
            for (String form : new String[] {s, trimmed, replaceControls(trimmed, ""), replaceControls(trimmed, " ")}) {
                if (!form.isEmpty()) {
                    all.add(form);
                    all.add(URLEncoder.encode(form, StandardCharsets.UTF_8));
                }
            }
        }
        List<String> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        return new Redactor(List.copyOf(sorted));
    }

    /** {@code text} made safe, at most {@link #MAX_TEXT_LENGTH} characters (plus an ellipsis). */
    String sanitize(String text) {
        return sanitize(text, MAX_TEXT_LENGTH);
    }

    String sanitize(String text, int maxLength) {
        if (text == null) {
            return null;
        }
        // redact before anything changes the text, and before capping: a secret across the cut would go unseen
        String redacted = redact(text);
        StringBuilder clean = new StringBuilder(redacted.length());
        for (int i = 0; i < redacted.length(); i++) {
            char c = redacted.charAt(i);
            clean.append(Character.isISOControl(c) || Character.getType(c) == Character.FORMAT ? ' ' : c);
        }
        String s = clean.toString().strip();
        return s.length() <= maxLength ? s : s.substring(0, maxLength) + "…";
    }

    private String redact(String text) {
        if (secrets.isEmpty()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            int end = -1;
            for (String secret : secrets) {
                end = Math.max(end, matchEnd(text, i, secret));
            }
            if (end > i) {
                out.append(REDACTED);
                i = end;
            } else {
                out.append(text.charAt(i));
                i++;
            }
        }
        return out.toString();
    }

    /** {@code s} with each control or format character replaced, as a server that cleans its text would. */
    private static String replaceControls(String s, String by) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                b.append(by);
            } else {
                b.append(c);
            }
        }
        return trim(b.toString());
    }

    /** The secret without the whitespace and control characters around it. */
    private static String trim(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && blank(s.charAt(start))) {
            start++;
        }
        while (end > start && blank(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean blank(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)
                || Character.getType(c) == Character.FORMAT;
    }

    /**
     * The end of the longest echo of {@code secret} that starts at {@code start} in {@code text}, in
     * any mix of the encodings in the class comment, or -1. A breadth-first walk over the
     * positions an echo of the first k characters can end at, so no input can make it backtrack
     * exponentially: at most a few positions per character.
     */
    private static int matchEnd(String text, int start, String secret) {
        int[] positions = {start};
        int count = 1;
        int k = 0;
        while (k < secret.length()) {
            int cp = secret.codePointAt(k);
            int[] next = new int[8];
            int n = 0;
            for (int p = 0; p < count; p++) {
                for (int end : echoEnds(text, positions[p], cp)) {
                    if (end >= 0 && !contains(next, n, end)) {
                        if (n == next.length) {
                            next = java.util.Arrays.copyOf(next, n * 2);
                        }
                        next[n++] = end;
                    }
                }
            }
            if (n == 0) {
                return -1;
            }
            positions = next;
            count = n;
            k += Character.charCount(cp);
        }
        int max = -1;
        for (int p = 0; p < count; p++) {
            max = Math.max(max, positions[p]);
        }
        return max;
    }

    private static boolean contains(int[] values, int n, int value) {
        for (int i = 0; i < n; i++) {
            if (values[i] == value) {
                return true;
            }
        }
        return false;
    }

    /** Where an echo of the code point {@code cp} that starts at {@code at} ends, one entry per encoding (-1: none). */
    private static int[] echoEnds(String text, int at, int cp) {
        if (at >= text.length()) {
            return new int[0];
        }
        String raw = new String(Character.toChars(cp));
        return new int[] {
            text.startsWith(raw, at) ? at + raw.length() : -1,
            cp == ' ' && text.charAt(at) == '+' ? at + 1 : -1,
            percentEnd(text, at, raw),
            jsonEnd(text, at, raw),
            htmlEnd(text, at, cp)
        };
    }

    /** {@code %HH} per UTF-8 byte, each possibly encoded once more as {@code %25HH}; hex in either case. */
    private static int percentEnd(String text, int at, String raw) {
        if (text.charAt(at) != '%') {
            return -1;
        }
        int p = at;
        for (byte b : raw.getBytes(StandardCharsets.UTF_8)) {
            String hex = "" + HEX.charAt((b >> 4) & 0xF) + HEX.charAt(b & 0xF);
            if (text.regionMatches(true, p, "%" + hex, 0, 3)) {
                p += 3;
            } else if (text.regionMatches(true, p, "%25" + hex, 0, 5)) {
                p += 5;
            } else {
                return -1;
            }
        }
        return p;
    }

    /** A JSON escape per UTF-16 unit: {@code \\uHHHH} (either case) or the short form ({@code \n}, {@code \/}, …). */
    private static int jsonEnd(String text, int at, String raw) {
        if (text.charAt(at) != '\\') {
            return -1;
        }
        int p = at;
        for (int i = 0; i < raw.length(); i++) {
            char u = raw.charAt(i);
            String unicode = String.format("\\u%04x", (int) u);
            String shortForm = shortJsonEscape(u);
            if (text.regionMatches(true, p, unicode, 0, 6)) {
                p += 6;
            } else if (shortForm != null && text.startsWith(shortForm, p)) {
                p += 2;
            } else {
                return -1;
            }
        }
        return p;
    }

    private static String shortJsonEscape(char c) {
        return switch (c) {
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            case '\b' -> "\\b";
            case '\f' -> "\\f";
            case '/' -> "\\/";
            case '\\' -> "\\\\";
            case '"' -> "\\\"";
            default -> null;
        };
    }

    /** {@code &#NN;}, {@code &#xHH;} (leading zeros allowed) or one of the five XML named references. */
    private static int htmlEnd(String text, int at, int cp) {
        if (text.charAt(at) != '&') {
            return -1;
        }
        int semicolon = text.indexOf(';', at);
        if (semicolon < 0 || semicolon - at > 12) {
            return -1;
        }
        String ref = text.substring(at + 1, semicolon);
        Integer value = switch (ref) {
            case "amp" -> (int) '&';
            case "lt" -> (int) '<';
            case "gt" -> (int) '>';
            case "quot" -> (int) '"';
            case "apos" -> (int) '\'';
            default -> numericReference(ref);
        };
        return value != null && value == cp ? semicolon + 1 : -1;
    }

    private static Integer numericReference(String ref) {
        try {
            if (ref.startsWith("#x") || ref.startsWith("#X")) {
                return Integer.parseInt(ref.substring(2), 16);
            }
            if (ref.startsWith("#")) {
                return Integer.parseInt(ref.substring(1));
            }
        } catch (NumberFormatException e) {
            // not a reference
        }
        return null;
    }
}
