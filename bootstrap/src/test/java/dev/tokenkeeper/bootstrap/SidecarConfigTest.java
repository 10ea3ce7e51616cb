package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.ConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SidecarConfigTest {

    static final String BEARER = "sidecar-bearer-secret-that-must-never-show";
    static final String CLIENT_SECRET = "client-secret-that-must-never-show";

    @Test
    @DisplayName("defaults: loopback, port 8787, no token endpoint, keep-warm on")
    void defaults() {
        SidecarConfig c = SidecarConfig.from(Settings.of(Map.of()));
        assertThat(c).isEqualTo(SidecarConfig.defaults());
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.tokenEndpointEnabled()).isFalse();
    }

    @Test
    @DisplayName("the token endpoint reads its bearer secret from a variable or a file, and never shows it")
    void tokenEndpoint(@TempDir Path dir) throws Exception {
        SidecarConfig viaEnv = SidecarConfig.from(Settings.load(null, Map.of(
                "TOKENKEEPER__SIDECAR__TOKEN_ENDPOINT__ENABLED", "true",
                "TOKENKEEPER__SIDECAR__TOKEN_ENDPOINT__SECRET_ENV", "SIDECAR_BEARER",
                "SIDECAR_BEARER", BEARER,
                "TOKENKEEPER__SIDECAR__PORT", "0")));
        assertThat(viaEnv.tokenEndpointSecret().reveal()).isEqualTo(BEARER);
        assertThat(viaEnv.port()).isZero();
        assertThat(viaEnv.toString() + viaEnv.describe()).doesNotContain(BEARER);
        Path file = Files.writeString(dir.resolve("bearer"), BEARER + "\n");
        SidecarConfig viaFile = SidecarConfig.from(Settings.of(Map.of(
                "sidecar.token-endpoint.enabled", "true", "sidecar.token-endpoint.secret-file", file.toString())));
        assertThat(viaFile.tokenEndpointSecret().reveal()).isEqualTo(BEARER);
    }

    @Test
    @DisplayName("bad configuration: missing URL, remote http, negative refresh, unknown store, missing secret variable, "
            + "remote bind and sidecar mistakes, all in one message that names each setting")
    void everyProblemAtOnce() {
        Map<String, String> env = new HashMap<>();
        env.put("TOKENKEEPER__CLIENTS__ALPHA__CLIENT_ID", "alpha"); // no token-url
        env.put("TOKENKEEPER__CLIENTS__ALPHA__CLIENT_SECRET_ENV", "ALPHA_SECRET");
        env.put("ALPHA_SECRET", CLIENT_SECRET);
        env.put("TOKENKEEPER__CLIENTS__BETA__TOKEN_URL", "http://idp.example.com/token");
        env.put("TOKENKEEPER__CLIENTS__BETA__CLIENT_ID", "beta");
        env.put("TOKENKEEPER__CLIENTS__BETA__CLIENT_SECRET_ENV", "BETA_SECRET_NOT_SET");
        env.put("TOKENKEEPER_REFRESH_AHEAD", "-30s");
        env.put("TOKENKEEPER_STORE", "mongodb");
        env.put("TOKENKEEPER__SIDECAR__HOST", "0.0.0.0");
        env.put("TOKENKEEPER__SIDECAR__PORT", "70000");
        env.put("TOKENKEEPER__SIDECAR__TOKEN_ENDPOINT__ENABLED", "true");
        env.put("TOKENKEEPER__SIDECAR__COLOUR", "blue");
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.load(null, env)))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.getMessage())
                            .contains("clients.alpha.token-url: required")
                            .contains("clients.beta.token-url: http to the remote host idp.example.com is refused")
                            .contains("clients.beta.client-secret-env: the environment variable BETA_SECRET_NOT_SET is not set")
                            .contains("refresh.ahead: must not be negative")
                            .contains("store.type: unknown store 'mongodb'")
                            .contains("sidecar.host: '0.0.0.0' is not a loopback address")
                            .contains("(from environment variable TOKENKEEPER__SIDECAR__HOST)")
                            .contains("sidecar.port: must be 0..65535")
                            .contains("sidecar.token-endpoint.secret-env: required when sidecar.token-endpoint.enabled=true")
                            .contains("sidecar.colour: unknown sidecar setting")
                            .doesNotContain(CLIENT_SECRET);
                    assertThat(e.problems()).hasSize(9);
                });
    }

    @Test
    @DisplayName("a remote bind is accepted only when explicitly allowed; a short bearer secret is refused")
    void remoteBindAndWeakSecret() {
        assertThat(SidecarConfig.from(Settings.of(Map.of("sidecar.host", "0.0.0.0", "sidecar.allow-remote-bind", "true")))
                .host()).isEqualTo("0.0.0.0");
        assertThat(SidecarConfig.from(Settings.of(Map.of("sidecar.host", "::1"))).host()).isEqualTo("::1");
        assertThatThrownBy(() -> SidecarConfig.from(Settings.load(null, Map.of(
                        "TOKENKEEPER__SIDECAR__TOKEN_ENDPOINT__ENABLED", "true",
                        "TOKENKEEPER__SIDECAR__TOKEN_ENDPOINT__SECRET_ENV", "WEAK",
                        "WEAK", "hunter2"))))
                .hasMessageContaining("at least 16 characters")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    @DisplayName("Host check: loopback names, the bind address, the connection's own address and sidecar.allowed-hosts "
            + "are accepted, ports and case ignored; any other name (what DNS rebinding sends) is not")
    void allowedHosts() {
        SidecarConfig c = SidecarConfig.from(Settings.of(Map.of("sidecar.allowed-hosts", " Tokens.Internal:8787 , [fd00::5]")));
        assertThat(c.allowedHosts()).containsExactlyInAnyOrder("tokens.internal", "fd00::5");
        for (String ok : new String[] {"localhost", "LocalHost.", "127.0.0.1", "::1", "[::1]", "[0:0:0:0:0:0:0:1]",
                "tokens.internal", "TOKENS.INTERNAL", "fd00:0:0:0:0:0:0:5"}) {
            assertThat(c.acceptsHost(ok, "127.0.0.1")).as(ok).isTrue();
        }
        for (String refused : new String[] {"attacker.example", "localhost.attacker.example", "127.0.0.1.nip.io", "", "10.0.0.7"}) {
            assertThat(c.acceptsHost(refused, "127.0.0.1")).as(refused).isFalse();
        }
        assertThat(c.acceptsHost(null, "127.0.0.1")).isFalse();
        // a wildcard bind: the address the connection arrived on is a literal, which DNS cannot rebind
        SidecarConfig remote = SidecarConfig.from(Settings.of(Map.of("sidecar.host", "0.0.0.0", "sidecar.allow-remote-bind", "true")));
        assertThat(remote.remotelyReachable()).isTrue();
        assertThat(remote.acceptsHost("10.0.0.7", "10.0.0.7")).isTrue();
        assertThat(remote.acceptsHost("10.0.0.8", "10.0.0.7")).isFalse();
        assertThat(SidecarConfig.defaults().remotelyReachable()).isFalse();
        SidecarConfig any = SidecarConfig.from(Settings.of(Map.of("sidecar.allowed-hosts", "*")));
        assertThat(any.acceptsHost("anything.example", null)).isTrue();
        assertThat(any.describe()).contains("Host check off");
    }

    @Test
    @DisplayName("idle and header timeouts: defaults 60s and 10s; zero, negative, huge or garbage values are refused by name")
    void timeouts() {
        SidecarConfig d = SidecarConfig.from(Settings.of(Map.of()));
        assertThat(d.idleTimeout()).isEqualTo(java.time.Duration.ofSeconds(60));
        assertThat(d.headerTimeout()).isEqualTo(java.time.Duration.ofSeconds(10));
        SidecarConfig c = SidecarConfig.from(Settings.of(Map.of("sidecar.idle-timeout", "2m", "sidecar.header-timeout", "500ms")));
        assertThat(c.idleTimeout()).isEqualTo(java.time.Duration.ofMinutes(2));
        assertThat(c.headerTimeout()).isEqualTo(java.time.Duration.ofMillis(500));
        assertThat(c.describe()).contains("idle-timeout=2m", "header-timeout=0.5s");
        assertThatThrownBy(() -> SidecarConfig.from(Settings.of(Map.of(
                        "sidecar.idle-timeout", "0s",
                        "sidecar.header-timeout", "9223372036854775807h",
                        "sidecar.shutdown-grace", "99999999999999d",
                        "sidecar.allowed-hosts", "good.example, bad host/"))))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.getMessage()).contains("sidecar.idle-timeout: must be a duration above 0",
                            "sidecar.header-timeout: must be a duration above 0", "sidecar.shutdown-grace:",
                            "sidecar.allowed-hosts: 'bad host/' is not a host name");
                    assertThat(e.problems()).hasSize(4);
                });
    }
}
