package dev.tokenkeeper.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.fakeidp.FakeIdp;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fast checks of the measuring instruments themselves; no benchmark runs here. */
class HarnessTest {

    @Test
    void percentilesAreNearestRank() {
        Samples s = new Samples();
        for (int i = 100; i >= 1; i--) {
            s.add(i);
        }
        assertThat(s.percentile(50)).isEqualTo(50);
        assertThat(s.percentile(99)).isEqualTo(99);
        assertThat(s.percentile(100)).isEqualTo(100);
        assertThat(s.max()).isEqualTo(100);
        assertThat(new Samples().percentile(50)).isEqualTo(-1);
    }

    @Test
    void theIdpCountsRequestsAndStampsExpiryIntoTheToken() throws Exception {
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofSeconds(60))) {
            assertThat(idp.tokenUri().getHost()).isEqualTo("127.0.0.1");
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest post = HttpRequest.newBuilder(idp.tokenUri())
                    .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build();
            long before = System.currentTimeMillis();
            String body = http.send(post, HttpResponse.BodyHandlers.ofString()).body();
            String token = body.replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1");
            assertThat(FakeIdp.expiresAtOf(token)).isBetween(before + 60_000, System.currentTimeMillis() + 60_000);
            assertThat(FakeIdp.expiresAtOf("Bearer " + token)).isEqualTo(FakeIdp.expiresAtOf(token));
            assertThat(body).contains("\"expires_in\":60");

            long now = System.currentTimeMillis();
            idp.outage(now - 1000, now + 60_000);
            assertThat(http.send(post, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(503);
            assertThat(idp.requestCount()).isEqualTo(2);
            assertThat(idp.issued()).isEqualTo(1);
            assertThat(idp.refused()).isEqualTo(1);
        }
    }

    @Test
    void aRewrittenReportKeepsTheBeforeAfterComparison(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("BENCHMARKS.md");
        assertThat(BenchmarkSuite.keptComparison(out)).isEmpty();
        Files.writeString(out, "# old report\n");
        assertThat(BenchmarkSuite.keptComparison(out)).isEmpty();
        String section = "<!-- hot-path-comparison:begin (written by benchmarks/compare-hot-path.sh; do not edit) -->\n"
                + "| `floor` | 1 | 1.00 |\n<!-- hot-path-comparison:end -->";
        Files.writeString(out, "# old report\n\n" + section + "\ntrailing\n");
        assertThat(BenchmarkSuite.keptComparison(out)).isEqualTo("\n" + section + "\n");
    }

    @Test
    void serversAreLookedForOnLoopbackOnly() {
        assertThat(Servers.loopback("127.0.0.1")).isTrue();
        assertThat(Servers.loopback("10.1.2.3")).isFalse();
        assertThat(URI.create("redis://127.0.0.1:6379").getHost()).isEqualTo("127.0.0.1");
    }
}
