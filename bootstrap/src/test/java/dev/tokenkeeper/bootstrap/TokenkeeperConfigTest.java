package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.domain.ConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenkeeperConfigTest {

    static final String SECRET = "s3cr3t-value-that-must-never-show";

    @Test
    @DisplayName("the OAUTH_* variables configure one client, with the defaults elsewhere")
    void environment() {
        TokenkeeperConfig c = TokenkeeperConfig.from(Settings.load(null, Map.of(
                "OAUTH_TOKEN_URL", "https://idp.example.com/oauth2/token",
                "OAUTH_CLIENT_ID", "orders",
                "OAUTH_CLIENT_SECRET", SECRET,
                "OAUTH_SCOPE", "orders.read orders.write",
                "OAUTH_AUDIENCE", "api://orders",
                "TOKENKEEPER_REFRESH_AHEAD", "2m",
                "TOKENKEEPER_CLOCK_SKEW", "10s")));
        TokenkeeperConfig.ClientConfig client = c.clients().get("default");
        assertThat(client.clientId()).isEqualTo("orders");
        assertThat(client.key().scopes()).containsExactly("orders.read", "orders.write");
        assertThat(client.key().audience()).contains("api://orders");
        assertThat(client.authMethod()).isEqualTo("client_secret_basic");
        assertThat(c.expiryPolicy().refreshAhead()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.expiryPolicy().clockSkew()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.store().kind()).isEqualTo(dev.tokenkeeper.bootstrap.persistence.StoreConfig.Kind.MEMORY);
        assertThat(c.toString()).doesNotContain(SECRET);
    }

    @Test
    @DisplayName("bad configuration: one message names every problem and where it came from, and no secret")
    void everyProblemAtOnce() {
        Map<String, String> env = Map.of(
                "OAUTH_CLIENT_ID", "orders",
                "OAUTH_CLIENT_SECRET", SECRET, // the default client has no token URL
                "TOKENKEEPER__CLIENTS__BILLING__TOKEN_URL", "http://idp.example.com/token",
                "TOKENKEEPER__CLIENTS__BILLING__CLIENT_ID", "billing",
                "TOKENKEEPER__CLIENTS__BILLING__CLIENT_SECRET_ENV", "BILLING_SECRET_NOT_SET",
                "TOKENKEEPER_REFRESH_AHEAD", "-5s",
                "TOKENKEEPER_STORE", "cassandra");
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.load(null, env)))
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.problems()).hasSize(5);
                    assertThat(e.getMessage())
                            .contains("clients.default.token-url: required")
                            .contains("clients.billing.token-url: http to the remote host idp.example.com is refused")
                            .contains("clients.billing.client-secret-env: the environment variable BILLING_SECRET_NOT_SET is not set")
                            .contains("refresh.ahead: must not be negative")
                            .contains("(from environment variable TOKENKEEPER_REFRESH_AHEAD)")
                            .contains("store.type: unknown store 'cassandra'")
                            .doesNotContain(SECRET);
                });
    }

    @Test
    @DisplayName("a persistent store needs sealing keys; a bad key spec is named without its material")
    void sealing() {
        Map<String, String> base = Map.of(
                "OAUTH_TOKEN_URL", "https://idp.example.com/token",
                "OAUTH_CLIENT_ID", "orders",
                "OAUTH_CLIENT_SECRET", SECRET,
                "TOKENKEEPER_STORE", "redis",
                "TOKENKEEPER_STORE_URL", "redis://127.0.0.1:6379");
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.load(null, base)))
                .hasMessageContaining("sealing.keys: required for store.type=redis");
        Map<String, String> withKeys = new java.util.HashMap<>(base);
        withKeys.put("TOKENKEEPER_SEALING_KEYS", SealingKeys.generateSpec("k7"));
        assertThat(TokenkeeperConfig.from(Settings.load(null, withKeys)).sealingKeys().currentId()).isEqualTo("k7");
        withKeys.put("TOKENKEEPER_SEALING_KEYS", "k1:AAAA");
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.load(null, withKeys)))
                .hasMessageContaining("sealing key 'k1' must be 32 bytes")
                .hasMessageNotContaining("AAAA");
    }

    @Test
    @DisplayName("a properties file configures several clients, secrets by reference, and the environment overrides it")
    void file(@TempDir Path dir) throws Exception {
        Path secretFile = dir.resolve("billing.secret");
        Files.writeString(secretFile, SECRET + "\n");
        Path file = dir.resolve("tokenkeeper.properties");
        Files.writeString(file, String.join("\n",
                "clients.billing.token-url=https://idp.example.com/token",
                "clients.billing.client-id=billing",
                "clients.billing.client-secret-file=" + secretFile,
                "clients.billing.auth-method=client_secret_post",
                "clients.orders.token-url=https://idp.example.com/token",
                "clients.orders.client-id=orders",
                "clients.orders.client-secret-env=ORDERS_SECRET",
                "clients.orders.scope=orders.read",
                "refresh.jitter=0.1",
                "clients.orders.scoep=typo"));
        assertThatThrownBy(() -> TokenkeeperConfig.from(Settings.load(file, Map.of("ORDERS_SECRET", "x"))))
                .hasMessageContaining("clients.orders.scoep: unknown client setting")
                .hasMessageContaining("(from file tokenkeeper.properties)");
        Files.writeString(file, Files.readString(file).replace("clients.orders.scoep=typo", ""));
        TokenkeeperConfig c = TokenkeeperConfig.from(Settings.load(file, Map.of(
                "ORDERS_SECRET", "orders-secret", "TOKENKEEPER__REFRESH__JITTER", "0.3")));
        assertThat(c.clients()).containsOnlyKeys("billing", "orders");
        assertThat(c.clients().get("billing").clientSecret().reveal()).isEqualTo(SECRET);
        assertThat(c.clients().get("billing").authMethod()).isEqualTo("client_secret_post");
        assertThat(c.expiryPolicy().jitter()).isEqualTo(0.3);
    }

    @Test
    @DisplayName("durations read the way people write them")
    void durations() {
        assertThat(TokenkeeperConfig.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(TokenkeeperConfig.parseDuration("90")).isEqualTo(Duration.ofSeconds(90));
        assertThat(TokenkeeperConfig.parseDuration("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(TokenkeeperConfig.parseDuration("PT1H")).isEqualTo(Duration.ofHours(1));
        assertThatThrownBy(() -> TokenkeeperConfig.parseDuration("soon")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("store URLs with credentials are shown redacted")
    void redaction() {
        assertThat(dev.tokenkeeper.bootstrap.persistence.StoreUrl.redact("redis://user:pw@host:6379")).isEqualTo("redis://***@host:6379");
        assertThat(dev.tokenkeeper.bootstrap.persistence.StoreUrl.redact("jdbc:postgresql://h/db?user=a&password=pw"))
                .isEqualTo("jdbc:postgresql://h/db?user=a&password=***");
    }
}
