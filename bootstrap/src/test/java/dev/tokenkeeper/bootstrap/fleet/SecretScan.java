package dev.tokenkeeper.bootstrap.fleet;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Looks for secrets and identifying names in a raw dump of a store: each needle as text (UTF-8,
 * also case-folded), as lower-case hex, and as standard and URL-safe base64 at each of the three
 * byte alignments a needle can have inside a longer encoded value. Findings name the needle's
 * label and the entry, never the needle itself.
 */
final class SecretScan {

    /** Base64 fragments shorter than this would match random ciphertext by chance. */
    private static final int MIN_FRAGMENT = 8;

    private SecretScan() {}

    /** One raw entry: where it was found (key name, row and column) and its bytes. */
    record RawEntry(String name, byte[] value) {}

    /** Each finding as "label (form) in entry"; empty when the dump is clean. */
    static List<String> findings(List<RawEntry> dump, Map<String, String> needles) {
        List<String> found = new ArrayList<>();
        for (Map.Entry<String, String> needle : needles.entrySet()) {
            Map<String, String> forms = forms(needle.getValue());
            for (RawEntry entry : dump) {
                String haystacks = text(entry.name()) + "\n" + text(entry.value());
                String folded = haystacks.toLowerCase(Locale.ROOT);
                for (Map.Entry<String, String> form : forms.entrySet()) {
                    String f = form.getValue();
                    boolean hit = form.getKey().startsWith("text") ? folded.contains(f.toLowerCase(Locale.ROOT)) : haystacks.contains(f);
                    if (hit) {
                        found.add(needle.getKey() + " (" + form.getKey() + ") in " + entry.name());
                    }
                }
            }
        }
        return found;
    }

    /** The forms of {@code needle} to look for, by name. */
    static Map<String, String> forms(String needle) {
        byte[] bytes = needle.getBytes(StandardCharsets.UTF_8);
        Map<String, String> forms = new LinkedHashMap<>();
        forms.put("text", needle);
        forms.put("hex", HexFormat.of().formatHex(bytes));
        for (int shift = 0; shift < 3; shift++) {
            byte[] shifted = new byte[shift + bytes.length];
            System.arraycopy(bytes, 0, shifted, shift, bytes.length);
            int from = shift == 0 ? 0 : 4; // the first block mixes in bytes before the needle
            int to = 4 * (shifted.length / 3); // a trailing partial block mixes in bytes after it
            if (to - from < MIN_FRAGMENT) {
                continue;
            }
            forms.put("base64@" + shift, Base64.getEncoder().withoutPadding().encodeToString(shifted).substring(from, to));
            forms.put("base64url@" + shift, Base64.getUrlEncoder().withoutPadding().encodeToString(shifted).substring(from, to));
        }
        return forms;
    }

    private static String text(String s) {
        return s == null ? "" : s;
    }

    private static String text(byte[] b) {
        // ISO-8859-1 maps every byte to one char, so an ASCII needle is found wherever its bytes are
        return b == null ? "" : new String(b, StandardCharsets.ISO_8859_1);
    }
}
