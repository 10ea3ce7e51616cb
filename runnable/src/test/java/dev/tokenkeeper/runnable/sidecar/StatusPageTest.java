package dev.tokenkeeper.runnable.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.Freshness;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenStatus;
import dev.tokenkeeper.testsupport.TestClock;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The status page's HTML: content per state, escaping, the policy's style hash, the timeline's bounds. */
class StatusPageTest {

    static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    static final String HOSTILE = "<script>alert('x')</script>&\"evil\"";

    @Test
    @DisplayName("a valid, a refresh-due, an expired and a never-acquired client each show their state, times, source, failure and breaker")
    void states() {
        TokenKey alpha = TokenKey.of("alpha");
        List<StatusPage.ClientView> views = List.of(
                new StatusPage.ClientView("alpha", new TokenStatus(alpha, Freshness.FRESH, NOW.plusSeconds(3590),
                        NOW.plusSeconds(3290), TokenStatus.Source.IDP, null), TokenEvent.CircuitState.CLOSED, List.of(
                        new RecentAcquisitions.Acquisition(NOW.minusSeconds(10), true, null, Duration.ofMillis(42), 1,
                                false, "client_credentials", NOW.plusSeconds(3590)))),
                new StatusPage.ClientView("beta", new TokenStatus(TokenKey.of("beta"), Freshness.REFRESH_DUE,
                        NOW.plusSeconds(30), NOW.minusSeconds(5), TokenStatus.Source.STORE, null),
                        TokenEvent.CircuitState.HALF_OPEN, List.of()),
                new StatusPage.ClientView("gamma", new TokenStatus(TokenKey.of("gamma"), Freshness.EXPIRED,
                        NOW.minusSeconds(75), NOW.minusSeconds(200), TokenStatus.Source.IMPORTED, FailureKind.SERVER_ERROR,
                        NOW.plusSeconds(60)), TokenEvent.CircuitState.OPEN, List.of(
                        new RecentAcquisitions.Acquisition(NOW.minusSeconds(3), false, FailureKind.SERVER_ERROR,
                                Duration.ofMillis(1503), 3, true, "client_credentials", null))),
                new StatusPage.ClientView("delta", new TokenStatus(TokenKey.of("delta"), null, null, null, null, null),
                        null, List.of()));
        String html = StatusPage.render(views, NOW, 7);

        assertThat(html).startsWith("<!DOCTYPE html>").contains("<meta http-equiv=\"refresh\" content=\"7\">")
                .contains("2 of 4 clients hold a valid token").contains("<title>tokenkeeper: 2/4 valid</title>");
        String a = section(html, "alpha");
        assertThat(a).contains("pill validity ok\">valid<").contains("in 59m 50s").contains("(10:59:50Z)")
                .contains("in 54m 50s").contains(">idp<").contains("t-ok\">none<").contains("t-ok\">closed<")
                .contains("09:59:50Z").contains("10s ago").contains("42 ms").contains(">caller<");
        String b = section(html, "beta");
        assertThat(b).contains("valid, refresh due").contains("in 30s").contains("due now").contains(">store<")
                .contains("t-warn\">half-open<").contains("None yet.");
        String g = section(html, "gamma");
        assertThat(g).contains("pill validity bad\">expired<").contains("1m 15s ago").contains(">imported<")
                .contains("t-bad\">SERVER_ERROR</span> · failing fast until in 1m 00s")
                .contains("t-bad\">open<").contains("t-bad\">failed<").contains("1503 ms").contains(">background<")
                .contains("<td class=\"num\">3</td>");
        String d = section(html, "delta");
        assertThat(d).contains("pill validity none\">no token<").contains("on the next request")
                .contains("t-ok\">closed<");
        assertThat(html).doesNotContain("<script").doesNotContain(" style=").doesNotContain("http://")
                .doesNotContain("https://");
    }

    @Test
    @DisplayName("a client name with markup is escaped wherever it appears: element text, attribute, id")
    void escaping() {
        String html = StatusPage.render(List.of(new StatusPage.ClientView(HOSTILE,
                new TokenStatus(TokenKey.of(HOSTILE), Freshness.FRESH, NOW.plusSeconds(60), NOW.plusSeconds(30),
                        TokenStatus.Source.IDP, null), TokenEvent.CircuitState.CLOSED, List.of())), NOW, 5);
        assertThat(html).doesNotContain("<script").doesNotContain(HOSTILE).doesNotContain("'x'")
                .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;evil&quot;");
        Matcher id = Pattern.compile("<section id=\"([^\"]*)\"").matcher(html);
        assertThat(id.find()).isTrue();
        assertThat(id.group(1)).matches("[A-Za-z0-9_.-]+");
        assertThat(StatusPage.escape("a\u0000b\nc")).isEqualTo("a\uFFFDb\uFFFDc");
    }

    @Test
    @DisplayName("the policy allows exactly the page's one style sheet, by its hash, and nothing else")
    void policyHashMatchesTheStyleSheet() throws Exception {
        String html = StatusPage.render(List.of(), NOW, 5);
        Matcher style = Pattern.compile("<style>(.*?)</style>", Pattern.DOTALL).matcher(html);
        assertThat(style.find()).isTrue();
        assertThat(style.find()).as("one style element").isFalse();
        style.reset().find();
        String hash = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                .digest(style.group(1).getBytes(StandardCharsets.UTF_8)));
        assertThat(StatusPage.CONTENT_SECURITY_POLICY).startsWith("default-src 'none'; ")
                .contains("style-src 'sha256-" + hash + "'").doesNotContain("unsafe").doesNotContain("script-src")
                .contains("frame-ancestors 'none'");
        assertThat(html).contains("No client is configured.");
        assertThatThrownBy(() -> StatusPage.render(List.of(), NOW, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("the timeline keeps the last N acquisitions per configured client, newest first, and ignores other events and clients")
    void ringBuffer() {
        TestClock clock = TestClock.at(NOW);
        RecentAcquisitions recent = new RecentAcquisitions(Set.of("alpha"), clock, 3);
        TokenKey alpha = TokenKey.of("alpha");
        for (int i = 1; i <= 5; i++) {
            clock.advance(Duration.ofSeconds(1));
            recent.onEvent(new TokenEvent.AcquisitionSucceeded(alpha, "client_credentials", Duration.ofMillis(i), NOW, 1, i % 2 == 0));
        }
        clock.advance(Duration.ofSeconds(1));
        recent.onEvent(new TokenEvent.AcquisitionFailed(alpha, "client_credentials", FailureKind.TIMEOUT, Duration.ofMillis(99), 2, true));
        recent.onEvent(new TokenEvent.AcquisitionSucceeded(TokenKey.of("stranger"), "client_credentials", Duration.ZERO, NOW, 1, false));
        recent.onEvent(new TokenEvent.CacheMiss(alpha, TokenEvent.MissReason.ABSENT));

        List<RecentAcquisitions.Acquisition> list = recent.of("alpha");
        assertThat(list).hasSize(3);
        assertThat(list.get(0).success()).isFalse();
        assertThat(list.get(0).kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(list.get(0).at()).isEqualTo(NOW.plusSeconds(6));
        assertThat(list).extracting(x -> x.latency().toMillis()).containsExactly(99L, 5L, 4L);
        assertThat(list.get(2).background()).isTrue();
        assertThat(recent.of("stranger")).isEmpty();
        assertThatThrownBy(() -> new RecentAcquisitions(Set.of(), clock, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("durations read as their two largest units")
    void spans() {
        assertThat(StatusPage.span(Duration.ofSeconds(9))).isEqualTo("9s");
        assertThat(StatusPage.span(Duration.ofSeconds(250))).isEqualTo("4m 10s");
        assertThat(StatusPage.span(Duration.ofSeconds(7500))).isEqualTo("2h 05m");
        assertThat(StatusPage.span(Duration.ofHours(50))).isEqualTo("2d 2h");
        assertThat(StatusPage.span(Duration.ofSeconds(-5))).isEqualTo("0s");
    }

    static String section(String html, String client) {
        int start = html.indexOf("<section id=\"client-" + client + "\"");
        assertThat(start).as(client + "'s section").isNotNegative();
        return html.substring(start, html.indexOf("</section>", start));
    }
}
