package dev.tokenkeeper.adapter.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The small pure pieces: Retry-After, loopback detection, redaction. */
class HttpFailuresTest {

    private static final InstantSource CLOCK = InstantSource.fixed(Instant.parse("2030-01-01T00:00:00Z"));

    @Test
    @DisplayName("Retry-After: delta-seconds, HTTP-date (a past one is zero), and garbage is ignored")
    void retryAfter() {
        assertThat(HttpFailures.retryAfter("120", CLOCK)).isEqualTo(Duration.ofSeconds(120));
        assertThat(HttpFailures.retryAfter("Tue, 01 Jan 2030 00:00:30 GMT", CLOCK)).isEqualTo(Duration.ofSeconds(30));
        assertThat(HttpFailures.retryAfter("Mon, 31 Dec 2029 00:00:00 GMT", CLOCK)).isEqualTo(Duration.ZERO);
        assertThat(HttpFailures.retryAfter("soon", CLOCK)).isNull();
        assertThat(HttpFailures.retryAfter("-5", CLOCK)).isNull();
        assertThat(HttpFailures.retryAfter("99999999999999999999999", CLOCK)).isNull();
        assertThat(HttpFailures.retryAfter(null, CLOCK)).isNull();
    }

    @Test
    @DisplayName("loopback is decided from the literal host, never by DNS")
    void loopback() {
        assertThat(EndpointConfig.isLoopback("127.0.0.1")).isTrue();
        assertThat(EndpointConfig.isLoopback("127.255.3.4")).isTrue();
        assertThat(EndpointConfig.isLoopback("[::1]")).isTrue();
        assertThat(EndpointConfig.isLoopback("localhost")).isTrue();
        assertThat(EndpointConfig.isLoopback("128.0.0.1")).isFalse();
        assertThat(EndpointConfig.isLoopback("[::2]")).isFalse();
        assertThat(EndpointConfig.isLoopback("localhost.evil.example")).isFalse();
        assertThat(EndpointConfig.isLoopback("127.0.0.1.nip.io")).isFalse();
        assertThat(EndpointConfig.isLoopback("10.0.0.1")).isFalse();
    }

    @Test
    @DisplayName("origins: scheme, host by name and effective port; https to http is another origin")
    void origins() {
        URI addressed = URI.create("https://API.example:443/orders");
        assertThat(Redirects.sameOrigin(addressed, URI.create("https://api.example/other?x=1"))).isTrue();
        assertThat(Redirects.sameOrigin(addressed, URI.create("HTTPS://api.EXAMPLE:443/"))).isTrue();
        assertThat(Redirects.sameOrigin(addressed, URI.create("http://api.example/orders"))).as("downgrade").isFalse();
        assertThat(Redirects.sameOrigin(addressed, URI.create("https://api.example:8443/orders"))).isFalse();
        assertThat(Redirects.sameOrigin(addressed, URI.create("https://api.example.evil/orders"))).isFalse();
        assertThat(Redirects.sameOrigin(addressed, URI.create("https://evil@api.example.evil/"))).isFalse();
        assertThat(Redirects.sameOrigin(URI.create("http://[::1]:80/"), URI.create("http://[::1]/a"))).isTrue();
        assertThat(Redirects.sameOrigin(URI.create("http://127.0.0.1/"), URI.create("http://localhost/"))).isFalse();
    }

    @Test
    @DisplayName("redaction hides raw and form-encoded secrets before capping, and removes control characters")
    void redaction() {
        Redactor r = Redactor.of(List.of("p@ss word"));
        assertThat(r.sanitize("got p@ss word and p%40ss+word\r\nnext")).isEqualTo("got [redacted] and [redacted]  next");
        String longText = "x".repeat(195) + "p@ss word";
        assertThat(r.sanitize(longText)).doesNotContain("p@ss").hasSizeLessThanOrEqualTo(Redactor.MAX_TEXT_LENGTH + 1);
    }

    @Test
    @DisplayName("issue 16: a secret with a trailing newline is redacted however the server echoes it")
    void trailingNewline() {
        Redactor r = Redactor.of(List.of("k7/Zq+w\n"));
        for (String echo : List.of("k7/Zq+w\n", "k7/Zq+w", "k7/Zq+w ", "k7%2FZq%2Bw%0A", "k7%2fZq%2bw%0a", "k7%2FZq%2Bw",
                "k7\\/Zq+w\\n", "k7/Zq+w\\u000A", "k7\\u002fZq\\u002bw", "k7%252FZq%252Bw%250A", "k7/Zq+w&#10;",
                " \tk7/Zq+w \r\n")) {
            assertThat(r.sanitize("bad secret '" + echo + "' given")).as(echo)
                    .matches("bad secret '\\s*\\[redacted]\\s*' given").doesNotContain("k7", "Zq");
        }
    }

    @Test
    @DisplayName("a space in a secret may come back as +, %20 or %2520; a control character inside it dropped or as a space")
    void spacesAndControls() {
        Redactor r = Redactor.of(List.of("ab cd\u0007ef"));
        for (String echo : List.of("ab+cd%07ef", "ab%20cd%07ef", "ab%2520cd%2507ef", "ab cdef", "ab cd ef", "ab cd\u0007ef")) {
            assertThat(r.sanitize("x " + echo + " y")).as(echo).isEqualTo("x [redacted] y");
        }
    }

    @Test
    @DisplayName("text built to make the matcher backtrack is handled in linear time")
    void adversarialText() {
        Redactor r = Redactor.of(List.of("%".repeat(64), "\\".repeat(64), "+ ".repeat(32)));
        String text = "%25".repeat(10_000) + "%".repeat(10_000) + "\\u005c".repeat(5_000) + "%2B+".repeat(5_000);
        long start = System.nanoTime();
        String clean = r.sanitize(text, 100_000);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(clean).contains("[redacted]").doesNotContain("%".repeat(64));
    }
}
