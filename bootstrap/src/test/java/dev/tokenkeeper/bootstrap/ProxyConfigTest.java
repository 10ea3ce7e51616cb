package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.ConfigurationException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyConfigTest {

    static final String CLIENT_SECRET = "client-secret-that-must-never-show";

    static Map<String, String> client() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("clients.orders.token-url", "https://idp.example/token");
        s.put("clients.orders.client-id", "orders");
        s.put("clients.orders.client-secret", CLIENT_SECRET);
        return s;
    }

    @Test
    @DisplayName("a route with its defaults: 5s connect, 30s timeout, 64 KiB replay buffer, the JVM's trust")
    void defaults() {
        Map<String, String> s = client();
        s.put("proxy.orders.listen", "9001");
        s.put("proxy.orders.upstream", "https://api.example/v1");
        s.put("proxy.orders.client", "orders");
        ProxyConfig.Route r = TokenkeeperConfig.from(Settings.of(s)).proxies().routes().get("orders");
        assertThat(r).isEqualTo(new ProxyConfig.Route("orders", 9001, URI.create("https://api.example/v1"), "orders", null,
                Duration.ofSeconds(5), Duration.ofSeconds(30), 64 * 1024));
        assertThat(r.describe()).contains(":9001 -> https://api.example/v1 client=orders");
    }

    @Test
    @DisplayName("every setting, from the environment too: trust file, timeouts, sizes in KiB or MiB")
    void everySetting(@TempDir Path dir) throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        Map<String, String> env = new LinkedHashMap<>();
        client().forEach((k, v) -> env.put("TOKENKEEPER__" + k.toUpperCase().replace('-', '_').replace(".", "__"), v));
        env.put("TOKENKEEPER__PROXY__ORDERS__LISTEN", "9001");
        env.put("TOKENKEEPER__PROXY__ORDERS__UPSTREAM", "https://api.example");
        env.put("TOKENKEEPER__PROXY__ORDERS__CLIENT", "orders");
        env.put("TOKENKEEPER__PROXY__ORDERS__TRUST_FILE", ca.toString());
        env.put("TOKENKEEPER__PROXY__ORDERS__CONNECT_TIMEOUT", "250ms");
        env.put("TOKENKEEPER__PROXY__ORDERS__TIMEOUT", "2m");
        env.put("TOKENKEEPER__PROXY__ORDERS__REPLAY_BUFFER", "1MiB");
        ProxyConfig.Route r = TokenkeeperConfig.from(Settings.load(null, env)).proxies().routes().get("orders");
        assertThat(r.trustFile()).isEqualTo(ca);
        assertThat(r.connectTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(r.timeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(r.replayBuffer()).isEqualTo(1024 * 1024);
    }

    @Test
    @DisplayName("no proxy setting: no route")
    void none() {
        assertThat(TokenkeeperConfig.from(Settings.of(client())).proxies()).isEqualTo(ProxyConfig.NONE);
    }

    @Test
    @DisplayName("every problem at once, each naming its setting: missing keys, an unknown client, remote http, a port "
            + "taken twice or by the sidecar, bad sizes and durations, an unknown setting, an unreadable trust file")
    void everyProblemAtOnce() {
        Map<String, String> s = client();
        s.put("sidecar.port", "8787");
        s.put("proxy.a.listen", "8787");
        s.put("proxy.a.upstream", "http://api.example/v1");
        s.put("proxy.a.client", "payments");
        s.put("proxy.b.upstream", "https://api.example?x=1");
        s.put("proxy.b.replay-buffer", "1GiB");
        s.put("proxy.b.timeout", "forever");
        s.put("proxy.c.listen", "9001");
        s.put("proxy.c.upstream", "https://api.example");
        s.put("proxy.c.client", "orders");
        s.put("proxy.c.trust-file", "/nonexistent/ca.pem");
        s.put("proxy.d.listen", "9001");
        s.put("proxy.d.upstream", "http://10.0.0.8");
        s.put("proxy.d.allow-insecure-http", "true");
        s.put("proxy.d.client", "orders");
        s.put("proxy.d.colour", "blue");
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.of(s)))
                .isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).anySatisfy(p ->
                        assertThat(p).startsWith("proxy.a.listen: port 8787 is also sidecar.port")))
                .hasMessageContaining("proxy.a.upstream: http to the remote host api.example is refused")
                .hasMessageContaining("proxy.a.client: 'payments' is not a configured client (configured: [orders])")
                .hasMessageContaining("proxy.b.listen: required")
                .hasMessageContaining("proxy.b.client: required")
                .hasMessageContaining("proxy.b.upstream: must be a base URL without query")
                .hasMessageContaining("proxy.b.replay-buffer: must be a size from 0 to 16MiB")
                .hasMessageContaining("proxy.b.timeout: must be a duration from 1ms to 1h, was 'forever'")
                .hasMessageContaining("proxy.c.trust-file: cannot read the file /nonexistent/ca.pem")
                .hasMessageContaining("proxy.d.listen: port 9001 is also proxy.c.listen")
                .hasMessageContaining("proxy.d.colour: unknown proxy setting")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(CLIENT_SECRET));
    }
}
