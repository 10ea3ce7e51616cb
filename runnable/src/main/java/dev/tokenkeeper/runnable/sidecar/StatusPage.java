package dev.tokenkeeper.runnable.sidecar;

import dev.tokenkeeper.domain.Freshness;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenStatus;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The sidecar's status page ({@code GET /}): one self-contained HTML document that shows, per
 * configured client, whether it holds a valid token, the time to its expiry and to its refresh
 * point, where it came from, the last failure, the breaker, and a timeline of its recent
 * acquisitions ({@link RecentAcquisitions}).
 *
 * <p>The page refreshes itself with {@code <meta http-equiv="refresh">}, so it works without
 * JavaScript, and it has none: no script, no external asset, one inline style sheet allowed by its
 * hash in {@link #CONTENT_SECURITY_POLICY} and nothing else. Every value that reaches the page is
 * HTML-escaped (client names come from configuration), and nothing that reaches it is a secret:
 * {@link TokenStatus} holds no token value.
 *
 * <p>Stateless and thread-safe.
 */
public final class StatusPage {

    /** How often the page reloads itself by default, in seconds. */
    public static final int DEFAULT_REFRESH_SECONDS = 5;

    private static final String CSS = """
            :root{color-scheme:light;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--muted:#57606a;--line:#d0d7de}
            *{box-sizing:border-box}
            body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;\
            color:#1f2328;background:#f6f8fa}
            header{background:#24292f;color:#fff;padding:14px 24px;display:flex;align-items:baseline;gap:16px;flex-wrap:wrap}
            header h1{font-size:18px;margin:0;font-weight:600}
            header .summary{font-weight:600}
            header .meta{color:#c9d1d9;font-size:12px;margin-left:auto}
            main{padding:20px 24px;display:grid;gap:16px;grid-template-columns:repeat(auto-fill,minmax(460px,1fr))}
            section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:14px 16px}
            section h2{margin:0 0 10px;font-size:16px;display:flex;align-items:center;gap:10px}
            .pill{font-size:12px;font-weight:600;padding:2px 10px;border-radius:999px;color:#fff}
            .ok{background:var(--ok)}.warn{background:var(--warn)}.bad{background:var(--bad)}.none{background:var(--muted)}
            dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0 0 12px}
            dt{color:var(--muted)}dd{margin:0;font-variant-numeric:tabular-nums}
            .t-ok{color:var(--ok);font-weight:600}.t-warn{color:var(--warn);font-weight:600}.t-bad{color:var(--bad);font-weight:600}
            h3{font-size:13px;margin:8px 0 6px;color:var(--muted);font-weight:600}
            .scroll{overflow-x:auto}
            table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
            th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eaeef2;white-space:nowrap}
            th{color:var(--muted);font-weight:600}
            .num{text-align:right}
            .empty{color:var(--muted);font-style:italic}
            footer{padding:0 24px 20px;color:var(--muted);font-size:12px}
            footer a{color:#0969da}
            """;

    /**
     * The policy the page is served under: nothing may load or run, except the page's one inline
     * style sheet (by its SHA-256); no framing, no form, no base URL.
     */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'sha256-" + sha256(CSS)
            + "'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss'Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /**
     * What the page shows of one client.
     *
     * @param name the configured client name
     * @param status what the manager knows of its token (no token value)
     * @param circuit the breaker around its token endpoint
     * @param recent its recent acquisitions, newest first (empty if not recorded)
     */
    public record ClientView(String name, TokenStatus status, TokenEvent.CircuitState circuit,
            List<RecentAcquisitions.Acquisition> recent) {
        public ClientView {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(status, "status");
            recent = List.copyOf(recent);
        }
    }

    private StatusPage() {}

    /**
     * The page.
     *
     * @param clients the clients in configuration order
     * @param now the instant relative times count from (the manager's clock)
     * @param refreshSeconds how often the page reloads itself, at least 1
     */
    public static String render(List<ClientView> clients, Instant now, int refreshSeconds) {
        if (refreshSeconds < 1) {
            throw new IllegalArgumentException("refreshSeconds must be at least 1, was " + refreshSeconds);
        }
        long valid = clients.stream().filter(c -> c.status().isValid()).count();
        StringBuilder b = new StringBuilder(4096 + 2048 * clients.size());
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"refresh\" content=\"").append(refreshSeconds).append("\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<meta name=\"referrer\" content=\"no-referrer\">\n")
                .append("<title>tokenkeeper: ").append(valid).append('/').append(clients.size())
                .append(" valid</title>\n<style>").append(CSS).append("</style>\n</head>\n<body>\n");
        b.append("<header><h1>tokenkeeper sidecar</h1><span class=\"summary\" id=\"summary\">").append(valid)
                .append(" of ").append(clients.size()).append(clients.size() == 1 ? " client holds" : " clients hold")
                .append(" a valid token</span><span class=\"meta\">as of <time id=\"now\" datetime=\"")
                .append(now).append("\">").append(CLOCK.format(now)).append("</time> · reloads every ")
                .append(refreshSeconds).append(" s</span></header>\n<main>\n");
        if (clients.isEmpty()) {
            b.append("<p class=\"empty\">No client is configured.</p>\n");
        }
        for (ClientView c : clients) {
            client(b, c, now);
        }
        b.append("</main>\n<footer>Machine-readable: <a href=\"/auth/status\">/auth/status</a> · ")
                .append("<a href=\"/health/ready\">/health/ready</a> · <a href=\"/metrics\">/metrics</a>. ")
                .append("This page never shows a token.</footer>\n</body>\n</html>\n");
        return b.toString();
    }

    private static void client(StringBuilder b, ClientView c, Instant now) {
        TokenStatus s = c.status();
        String id = "client-" + idOf(c.name());
        b.append("<section id=\"").append(id).append("\" data-client=\"").append(escape(c.name())).append("\">\n")
                .append("<h2>").append(escape(c.name())).append(' ');
        validity(b, s);
        b.append("</h2>\n<dl>\n");
        row(b, "expires", s.hasToken() && s.expiresAt() != null
                ? when(s.expiresAt(), now) : "<span class=\"empty\">no token</span>", "expires");
        row(b, "next refresh", s.hasToken() && s.refreshAt() != null
                ? (s.refreshAt().isAfter(now) ? when(s.refreshAt(), now) : "<span class=\"t-warn\">due now</span>")
                : "<span class=\"empty\">on the next request</span>", "refresh");
        row(b, "source", s.source() == null ? "<span class=\"empty\">none</span>" : lower(s.source()), "source");
        row(b, "last failure", s.lastError() == null ? "<span class=\"t-ok\">none</span>"
                : "<span class=\"t-bad\">" + s.lastError().name() + "</span>"
                        + s.failingFastUntil().map(u -> " · failing fast until " + when(u, now)).orElse(""), "failure");
        TokenEvent.CircuitState circuit = c.circuit() == null ? TokenEvent.CircuitState.CLOSED : c.circuit();
        row(b, "breaker", "<span class=\"" + switch (circuit) {
            case CLOSED -> "t-ok";
            case HALF_OPEN -> "t-warn";
            case OPEN -> "t-bad";
        } + "\">" + lower(circuit).replace('_', '-') + "</span>", "breaker");
        b.append("</dl>\n<h3>Recent acquisitions</h3>\n");
        if (c.recent().isEmpty()) {
            b.append("<p class=\"empty\">None yet.</p>\n");
        } else {
            b.append("<div class=\"scroll\"><table class=\"timeline\"><thead><tr><th>time</th><th>outcome</th><th>failure</th>")
                    .append("<th class=\"num\">latency</th><th class=\"num\" title=\"attempts\">tries</th><th>trigger</th></tr></thead><tbody>\n");
            for (RecentAcquisitions.Acquisition a : c.recent()) {
                b.append("<tr class=\"").append(a.success() ? "success" : "failure").append("\"><td><time datetime=\"")
                        .append(a.at()).append("\">").append(CLOCK.format(a.at())).append("</time> <span class=\"empty\">(")
                        .append(ago(a.at(), now)).append(")</span></td><td class=\"")
                        .append(a.success() ? "t-ok\">token" : "t-bad\">failed").append("</td><td>")
                        .append(a.kind() == null ? "" : a.kind().name()).append("</td><td class=\"num\">")
                        .append(a.latency() == null ? "" : a.latency().toMillis() + " ms").append("</td><td class=\"num\">")
                        .append(a.attempts()).append("</td><td>").append(a.background() ? "background" : "caller")
                        .append("</td></tr>\n");
            }
            b.append("</tbody></table></div>\n");
        }
        b.append("</section>\n");
    }

    private static void validity(StringBuilder b, TokenStatus s) {
        String css;
        String text;
        if (!s.hasToken()) {
            css = s.lastError() == null ? "none" : "bad";
            text = "no token";
        } else if (s.freshness() == Freshness.EXPIRED) {
            css = "bad";
            text = "expired";
        } else if (s.freshness() == Freshness.REFRESH_DUE) {
            css = "warn";
            text = "valid, refresh due";
        } else {
            css = "ok";
            text = "valid";
        }
        b.append("<span class=\"pill validity ").append(css).append("\">").append(text).append("</span>");
    }

    private static void row(StringBuilder b, String label, String html, String field) {
        b.append("<dt>").append(label).append("</dt><dd class=\"").append(field).append("\">").append(html).append("</dd>\n");
    }

    /** "in 4m 10s (10:04:15Z)" or "3s ago (…)": an instant relative to now, then on the clock. */
    private static String when(Instant at, Instant now) {
        String rel = at.isBefore(now) ? ago(at, now) : "in " + span(Duration.between(now, at));
        return rel + " <span class=\"empty\">(" + CLOCK.format(at) + ")</span>";
    }

    private static String ago(Instant at, Instant now) {
        return at.isAfter(now) ? "just now" : span(Duration.between(at, now)) + " ago";
    }

    /** A duration as the two largest units: {@code 2h 05m}, {@code 4m 10s}, {@code 9s}. */
    static String span(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s >= 86_400) {
            return (s / 86_400) + "d " + (s % 86_400) / 3600 + "h";
        }
        if (s >= 3600) {
            return (s / 3600) + "h " + String.format(Locale.ROOT, "%02dm", (s % 3600) / 60);
        }
        if (s >= 60) {
            return (s / 60) + "m " + String.format(Locale.ROOT, "%02ds", s % 60);
        }
        return s + "s";
    }

    /**
     * Text made safe for HTML element content and quoted attribute values: {@code & < > " '}
     * become entities, and control characters (none belongs in a client name) become U+FFFD.
     */
    static String escape(String text) {
        StringBuilder b = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            switch (ch) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch < 0x20 || ch == 0x7f ? '\uFFFD' : ch);
            }
        }
        return b.toString();
    }

    /** An element id for a client: letters, digits, '-' and '_' kept, anything else as its code point. */
    private static String idOf(String name) {
        StringBuilder b = new StringBuilder(name.length());
        name.codePoints().forEach(cp -> {
            if (cp < 128 && (Character.isLetterOrDigit(cp) || cp == '-' || cp == '_')) {
                b.appendCodePoint(cp);
            } else {
                b.append('.').append(Integer.toHexString(cp)).append('.');
            }
        });
        return b.toString();
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    private static String sha256(String text) {
        try {
            return Base64.getEncoder().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
