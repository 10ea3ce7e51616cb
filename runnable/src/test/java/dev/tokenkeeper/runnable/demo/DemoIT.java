package dev.tokenkeeper.runnable.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.runnable.demo.Demo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The README's first command, shortened: the demo must keep every promise it prints. */
class DemoIT {

    @Test
    @DisplayName("the demo serves every call through refreshes and an IdP outage, never an expired token")
    void demo() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Demo.Result r = Demo.run(new Demo.Options(8, Duration.ofSeconds(7), Duration.ofSeconds(3), Duration.ofMillis(20),
                Duration.ofMillis(800)), new PrintStream(printed, true, StandardCharsets.UTF_8));
        assertThat(r.failedCalls()).isZero();
        assertThat(r.expiredServed()).isZero();
        assertThat(r.calls()).isGreaterThan(1000);
        // a 3 s token refreshed at half-life (less jitter): a new one every ~1.1-1.5 s over 7 s
        assertThat(r.tokenRequests()).isBetween(3, 10);
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("failed calls", "expired tokens served");
    }
}
