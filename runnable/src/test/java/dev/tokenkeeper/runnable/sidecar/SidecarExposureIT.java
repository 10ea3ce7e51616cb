package dev.tokenkeeper.runnable.sidecar;

import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.testsupport.SecretScanner;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Issue 16, item 6: the sidecar seen from the network. Real sockets speak raw HTTP/1.1 to it, so
 * that the {@code Host} header and a stalled request are exactly what the test writes.
 */
class SidecarExposureIT {

    final SecretScanner scanner = new SecretScanner();
    final String clientSecret = scanner.secret("exposure-client-secret-" + UUID.randomUUID());
    final String bearer = scanner.secret("exposure-bearer-" + UUID.randomUUID());
    final FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofHours(1));
    final CapturedLogs logs = new CapturedLogs();

    @AfterEach
    void stop() {
        idp.close();
        try {
            logs.saw("the sidecar's log lines and answers above");
            logs.assertNoneOf(List.of(clientSecret, bearer));
            scanner.assertClean();
        } finally {
            logs.close();
            scanner.close();
        }
    }

    Sidecar launch(Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "clients.alpha.token-url", idp.tokenUri().toString(),
                "clients.alpha.client-id", "alpha",
                "clients.alpha.client-secret", clientSecret,
                "store.type", "memory",
                "sidecar.port", "0",
                "sidecar.keep-warm", "false"));
        settings.putAll(extra);
        return Sidecar.launch(TokenkeeperConfig.from(Settings.of(settings)), InstantSource.system());
    }

    @Test
    @DisplayName("DNS rebinding: a request naming another host gets 421 and no detail; loopback names, with or "
            + "without the port, and sidecar.allowed-hosts are served; a request without Host is refused")
    void hostHeader() throws Exception {
        try (Sidecar sidecar = launch(Map.of("sidecar.allowed-hosts", "tokens.internal"))) {
            int port = sidecar.port();
            String refused = get(port, "rebind.attacker.example:" + port, "/auth/status");
            assertThat(statusOf(refused)).isEqualTo(421);
            assertThat(refused).doesNotContain("alpha").doesNotContain("rebind.attacker.example");
            assertThat(statusOf(get(port, "rebind.attacker.example", "/health/ready"))).isEqualTo(421);
            assertThat(statusOf(get(port, "rebind.attacker.example", "/metrics"))).isEqualTo(421);
            assertThat(statusOf(get(port, "127.0.0.1.attacker.example", "/auth/status"))).isEqualTo(421);
            assertThat(statusOf(raw(port, "GET /auth/status HTTP/1.0\r\n\r\n"))).as("no Host at all").isEqualTo(421);

            for (String host : List.of("localhost", "localhost:" + port, "LOCALHOST", "127.0.0.1", "127.0.0.1:" + port,
                    "[::1]", "[::1]:" + port, "tokens.internal", "tokens.internal:" + port)) {
                String served = get(port, host, "/auth/status");
                assertThat(statusOf(served)).as("Host: %s", host).isEqualTo(200);
                assertThat(served).contains("\"alpha\"");
            }
        }
    }

    @Test
    @DisplayName("a connection that sends half a request line and stalls is closed within the header timeout")
    void headerTimeout() throws Exception {
        try (Sidecar sidecar = launch(Map.of("sidecar.header-timeout", "300ms"));
                Socket s = new Socket(InetAddress.getLoopbackAddress(), sidecar.port())) {
            s.getOutputStream().write("GET /health/li".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            long start = System.nanoTime();
            // a real-time wait: what is tested is the server's own timer on a real socket; the
            // 5 s read timeout only bounds the test if the server never closes
            s.setSoTimeout(5_000);
            assertThat(readUntilClosed(s.getInputStream())).as("nothing answered to half a request").isEmpty();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(250)).isLessThan(Duration.ofSeconds(3));

            // a complete request on a fresh connection is still served at once
            assertThat(statusOf(get(sidecar.port(), "localhost", "/health/live"))).isEqualTo(200);
        }
    }

    @Test
    @DisplayName("a connection that stays silent is closed after the idle timeout")
    void idleTimeout() throws Exception {
        try (Sidecar sidecar = launch(Map.of("sidecar.idle-timeout", "300ms", "sidecar.header-timeout", "30s"));
                Socket s = new Socket(InetAddress.getLoopbackAddress(), sidecar.port())) {
            long start = System.nanoTime();
            // a real-time wait, as above: the idle timer is the server's; the header timeout (30 s)
            // is far beyond the read timeout, so only the idle timeout can close this connection
            s.setSoTimeout(5_000);
            assertThat(readUntilClosed(s.getInputStream())).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        }
    }

    @Test
    @DisplayName("keep-alive: several requests on one connection are all served; the header deadline restarts "
            + "after each response")
    void keepAlive() throws Exception {
        try (Sidecar sidecar = launch(Map.of("sidecar.header-timeout", "2s"));
                Socket s = new Socket(InetAddress.getLoopbackAddress(), sidecar.port())) {
            s.setSoTimeout(5_000);
            InputStream in = s.getInputStream();
            for (int i = 0; i < 3; i++) {
                s.getOutputStream().write(("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                String head = readHead(in);
                assertThat(statusOf(head)).isEqualTo(200);
                int length = Integer.parseInt(head.replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
                assertThat(in.readNBytes(length)).hasSize(length);
            }
        }
    }

    @Test
    @DisplayName("a remote bind serving /token/ over plain HTTP logs one WARN at start; a loopback bind does not")
    void remoteBindWarning() throws Exception {
        Map<String, String> tokenEndpoint = Map.of(
                "sidecar.token-endpoint.enabled", "true",
                "sidecar.token-endpoint.secret-file", bearerFile().toString());
        try (Sidecar loopback = launch(tokenEndpoint)) {
            assertThat(loopback.port()).isPositive();
        }
        assertThat(warnings()).isEmpty();

        Map<String, String> remote = new HashMap<>(tokenEndpoint);
        remote.put("sidecar.host", "0.0.0.0");
        remote.put("sidecar.allow-remote-bind", "true");
        try (Sidecar exposed = launch(remote)) {
            assertThat(statusOf(get(exposed.port(), "localhost", "/health/live"))).isEqualTo(200);
        }
        List<String> warnings = warnings();
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).contains("0.0.0.0", "/token/", "plain HTTP");
    }

    java.nio.file.Path bearerFile() throws IOException {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("bearer", ".secret");
        f.toFile().deleteOnExit();
        java.nio.file.Files.writeString(f, bearer);
        return f;
    }

    List<String> warnings() {
        return logs.lines().stream().filter(l -> l.startsWith("WARN dev.tokenkeeper.sidecar") && l.contains("SECURITY")).toList();
    }

    // ------------------------------------------------------------------------------------------

    String get(int port, String host, String path) throws IOException {
        return raw(port, "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
    }

    String raw(int port, String request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            String answer = readUntilClosed(s.getInputStream());
            logs.saw(answer);
            scanner.seen(answer);
            return answer;
        }
    }

    static int statusOf(String response) {
        assertThat(response).startsWith("HTTP/1.");
        return Integer.parseInt(response.substring(9, 12));
    }

    /** Everything until the server closes (or resets) the connection. */
    static String readUntilClosed(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server did not close the connection within the read timeout", e);
        } catch (SocketException reset) {
            // closed by a reset: as closed as it gets
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("closed after: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }
}
