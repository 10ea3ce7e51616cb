package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.fakeidp.FakeIdp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/** Issue 16, items 5 and the configuration's smaller edges: each gets a clear, secret-free error or warning. */
class ConfigHardeningTest {

    static final String SECRET = "pasted-" + UUID.randomUUID();

    final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    final Logger logger = (Logger) LoggerFactory.getLogger("dev.tokenkeeper.bootstrap");

    @TempDir
    Path dir;

    @BeforeEach
    void captureLogs() {
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void releaseLogs() {
        logger.detachAppender(logs);
        assertThat(warnings()).allSatisfy(w -> assertThat(w).doesNotContain(SECRET));
    }

    List<String> warnings() {
        return logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    static Map<String, String> client(Map<String, String> more) {
        Map<String, String> env = new HashMap<>(Map.of(
                "OAUTH_TOKEN_URL", "https://idp.example.com/token",
                "OAUTH_CLIENT_ID", "orders",
                "OAUTH_CLIENT_SECRET", SECRET));
        env.putAll(more);
        return env;
    }

    /** {@code content} and a newline in the file {@code name} with the mode {@code mode}, as an operator writes a secret file. */
    Path secretFile(String name, String content, String mode) throws java.io.IOException {
        Path file = Files.writeString(dir.resolve(name), content + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    static ConfigurationException invalid(Map<String, String> env) {
        try {
            TokenkeeperConfig.from(Settings.load(null, env));
        } catch (ConfigurationException e) {
            assertThat(e.getMessage()).doesNotContain(SECRET);
            return e;
        }
        throw new AssertionError("the configuration was accepted: " + env.keySet());
    }

    @ParameterizedTest
    @ValueSource(strings = {"9223372036854775807h", "99999999999999d", "99999999999999999999s", "PT9223372036854775807H",
        "3651d"})
    @DisplayName("a duration too long for any setting is a clear configuration error naming the key, not a stack trace")
    void overflowingDurations(String value) {
        for (String variable : List.of("TOKENKEEPER_REFRESH_AHEAD", "TOKENKEEPER_CLOCK_SKEW", "TOKENKEEPER__RESILIENCE__DEADLINE",
                "TOKENKEEPER__BREAKER__OPEN_DELAY")) {
            ConfigurationException e = invalid(client(Map.of(variable, value)));
            assertThat(e.problems()).hasSize(1);
            assertThat(e.problems().get(0)).contains("(from environment variable " + variable + ")")
                    .containsAnyOf("out of range", "must be a duration");
        }
        assertThatThrownBy(() -> TokenkeeperConfig.parseDuration(value)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"NaN", "-3", "0", "2.5", "Infinity", "101", "three"})
    @DisplayName("resilience.attempts must be a whole number from 1 to 100: NaN or -3 no longer silently mean no retries")
    void attempts(String value) {
        ConfigurationException e = invalid(client(Map.of("TOKENKEEPER__RESILIENCE__ATTEMPTS", value)));
        assertThat(e.getMessage()).contains("resilience.attempts: must be a whole number from 1 to 100, was '" + value + "'");
        assertThat(TokenkeeperConfig.from(Settings.load(null, client(Map.of("TOKENKEEPER__RESILIENCE__ATTEMPTS", "1"))))
                .resilience().retry().maxAttempts()).isEqualTo(1);
    }

    @Test
    @DisplayName("breaker.failures and refresh numbers: NaN, infinities and negatives are refused")
    void otherNumbers() {
        assertThat(invalid(client(Map.of("TOKENKEEPER__BREAKER__FAILURES", "NaN"))).getMessage())
                .contains("breaker.failures: must be a whole number from 1 up");
        assertThat(invalid(client(Map.of("TOKENKEEPER_JITTER", "NaN"))).getMessage()).contains("refresh.jitter: must be a number");
    }

    @Test
    @DisplayName("a secret pasted into a *-env or *-file field is never echoed; a real name or path is")
    void pastedSecretsAreNotEchoed() {
        for (String key : List.of("TOKENKEEPER__CLIENTS__DEFAULT__CLIENT_SECRET_ENV", "TOKENKEEPER__SEALING__KEYS_ENV")) {
            Map<String, String> env = client(Map.of(key, SECRET));
            if (key.contains("CLIENT_SECRET")) {
                env.remove("OAUTH_CLIENT_SECRET");
            }
            assertThat(invalid(env).getMessage()).contains("not a valid environment variable name");
        }
        Map<String, String> looksLikeName = client(Map.of("TOKENKEEPER__CLIENTS__DEFAULT__CLIENT_SECRET_ENV", "aB3dE5gH7jK9mN1pQ3sT"));
        looksLikeName.remove("OAUTH_CLIENT_SECRET");
        assertThat(invalid(looksLikeName).getMessage()).doesNotContain("aB3dE5gH7jK9mN1pQ3sT").contains("name not shown");

        Map<String, String> file = client(Map.of("TOKENKEEPER__CLIENTS__DEFAULT__CLIENT_SECRET_FILE", SECRET));
        file.remove("OAUTH_CLIENT_SECRET");
        assertThat(invalid(file).getMessage()).contains("clients.default.client-secret-file").contains("path not shown");

        Map<String, String> named = client(Map.of("TOKENKEEPER__CLIENTS__DEFAULT__CLIENT_SECRET_ENV", "ORDERS_SECRET"));
        named.remove("OAUTH_CLIENT_SECRET");
        assertThat(invalid(named).getMessage()).contains("the environment variable ORDERS_SECRET is not set");
        Map<String, String> path = client(Map.of("TOKENKEEPER__CLIENTS__DEFAULT__CLIENT_SECRET_FILE", dir.resolve("absent").toString()));
        path.remove("OAUTH_CLIENT_SECRET");
        assertThat(invalid(path).getMessage()).contains(dir.resolve("absent").toString());
    }

    @Test
    @DisplayName("the sidecar's bearer secret-env and secret-file do not echo a pasted secret either")
    void sidecarSecretReferencesAreNotEchoed() {
        for (String key : List.of("sidecar.token-endpoint.secret-env", "sidecar.token-endpoint.secret-file")) {
            Settings s = Settings.of(Map.of("sidecar.token-endpoint.enabled", "true", key, SECRET));
            assertThatThrownBy(() -> SidecarConfig.from(s))
                    .isInstanceOf(ConfigurationException.class).message().doesNotContain(SECRET).contains(key);
        }
    }

    @Test
    @DisplayName("OAUTH_CLIENT_SECRET_FILE gives the default client a rotatable secret file; with OAUTH_CLIENT_SECRET it is refused")
    void clientSecretFileVariable() throws Exception {
        Path file = secretFile("secret", SECRET, "rw-------");
        Map<String, String> env = client(Map.of("OAUTH_CLIENT_SECRET_FILE", file.toString()));
        assertThat(invalid(env).getMessage()).contains("give only one of client-secret, client-secret-env, client-secret-file");
        env.remove("OAUTH_CLIENT_SECRET");
        TokenkeeperConfig c = TokenkeeperConfig.from(Settings.load(null, env));
        assertThat(c.clients().get("default").clientSecret().reveal()).isEqualTo(SECRET);
        Files.writeString(file, "rotated-" + SECRET);
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        assertThat(c.clients().get("default").clientSecret().reveal()).isEqualTo("rotated-" + SECRET);
    }

    @Test
    @DisplayName("a secret file others can read is accepted with one WARN naming the path and the mode, never the content")
    void readableSecretFile() throws Exception {
        Path file = secretFile("secret", SECRET, "rw-r--r--");
        Map<String, String> env = client(Map.of("TOKENKEEPER__CLIENTS__DEFAULT__CLIENT_SECRET_FILE", file.toString()));
        env.remove("OAUTH_CLIENT_SECRET");
        TokenkeeperConfig c = TokenkeeperConfig.from(Settings.load(null, env));
        assertThat(c.clients().get("default").clientSecret().reveal()).isEqualTo(SECRET);
        assertThat(warnings()).filteredOn(w -> w.contains(file.toString())).hasSize(1)
                .first().asString().contains("can be read by other users").contains("rw-r--r--");

        logs.list.clear();
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        TokenkeeperConfig.from(Settings.load(null, env));
        assertThat(warnings()).noneMatch(w -> w.contains(file.toString()));
    }

    @Test
    @DisplayName("an unknown OAUTH_* or TOKENKEEPER_* variable is warned about by name with the closest known one, never its value")
    void unknownVariables() {
        TokenkeeperConfig.from(Settings.load(null, client(Map.of(
                "OAUTH_SCOPES", SECRET,
                "TOKENKEEPER_STORE_PASSWRD", SECRET,
                "TOKENKEEPER_HOME", "/tmp/tk",
                "OAUTH_ORDERS_SECRET", SECRET,
                "TOKENKEEPER__CLIENTS__DEFAULT__SCOPE", "a",
                "PATH", "/bin"))));
        assertThat(warnings()).anySatisfy(w -> assertThat(w).contains("OAUTH_SCOPES").contains("did you mean OAUTH_SCOPE?"))
                .anySatisfy(w -> assertThat(w).contains("TOKENKEEPER_STORE_PASSWRD").contains("TOKENKEEPER_STORE_PASSWORD?"))
                .anySatisfy(w -> assertThat(w).contains("OAUTH_ORDERS_SECRET"))
                .noneSatisfy(w -> assertThat(w).containsAnyOf("TOKENKEEPER_HOME", "TOKENKEEPER__", "PATH"));

        logs.list.clear();
        // a variable named by a *-env setting is used, not unknown
        Map<String, String> env = client(Map.of("TOKENKEEPER__CLIENTS__DEFAULT__CLIENT_SECRET_ENV", "OAUTH_ORDERS_SECRET",
                "OAUTH_ORDERS_SECRET", SECRET));
        env.remove("OAUTH_CLIENT_SECRET");
        TokenkeeperConfig.from(Settings.load(null, env));
        assertThat(warnings()).isEmpty();
    }

    @Test
    @DisplayName("store passwords: from the URL, a variable or a file, never in the location or a message; twice is refused")
    void storePasswords() throws Exception {
        String pw = "store/" + SECRET + "@:%#? x";
        Map<String, String> base = client(Map.of("TOKENKEEPER_STORE", "redis", "TOKENKEEPER_SEALING_KEYS",
                dev.tokenkeeper.application.SealingKeys.generateSpec("k1")));
        Map<String, String> inUrl = new HashMap<>(base);
        inUrl.put("TOKENKEEPER_STORE_URL", "redis://:" + pw + "@127.0.0.1:6379/1");
        TokenkeeperConfig c = TokenkeeperConfig.from(Settings.load(null, inUrl));
        assertThat(c.store().url()).isEqualTo("redis://127.0.0.1:6379/1");
        assertThat(c.store().password().reveal()).isEqualTo(pw);
        assertThat(c.store().toString()).doesNotContain(SECRET).contains("with a password");

        Path file = secretFile("store.pw", pw, "rw-------");
        Map<String, String> fromFile = new HashMap<>(base);
        fromFile.put("TOKENKEEPER_STORE_URL", "redis://127.0.0.1:6379");
        fromFile.put("TOKENKEEPER_STORE_PASSWORD_FILE", file.toString());
        assertThat(TokenkeeperConfig.from(Settings.load(null, fromFile)).store().password().reveal()).isEqualTo(pw);

        Map<String, String> fromEnv = new HashMap<>(base);
        fromEnv.put("TOKENKEEPER_STORE_URL", "redis://127.0.0.1:6379");
        fromEnv.put("TOKENKEEPER__STORE__PASSWORD_ENV", "REDIS_PW");
        fromEnv.put("REDIS_PW", pw);
        assertThat(TokenkeeperConfig.from(Settings.load(null, fromEnv)).store().password().reveal()).isEqualTo(pw);

        Map<String, String> twice = new HashMap<>(inUrl);
        twice.put("TOKENKEEPER_STORE_PASSWORD", pw);
        assertThat(invalid(twice).getMessage()).contains("store.url: the URL holds a password and one is also given");

        Map<String, String> badHost = new HashMap<>(base);
        badHost.put("TOKENKEEPER_STORE_URL", "redis://:" + pw + "@bad host:6379");
        assertThat(invalid(badHost).getMessage()).contains("store.url: is not a valid Redis URI");

        Map<String, String> memory = client(Map.of("TOKENKEEPER_STORE_PASSWORD", pw));
        assertThat(invalid(memory).getMessage()).contains("store.password: only used by store.type=redis or jdbc");
    }

    @Test
    @DisplayName("a client secret with a trailing newline reaches the IdP without it, inline, from a variable and from a file")
    void secretsAreTrimmedWhateverTheirSource() throws Exception {
        String secret = "trim-me-" + UUID.randomUUID();
        Path file = secretFile("secret", secret, "rw-------");
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofMinutes(5))) {
            List<Map<String, String>> sources = List.of(
                    Map.of("clients.a.client-secret", secret + "\n"),
                    Map.of("clients.a.client-secret-env", "A_SECRET"),
                    Map.of("clients.a.client-secret-file", file.toString()));
            for (Map<String, String> source : sources) {
                idp.reset();
                idp.issueTokens(Duration.ofMinutes(5)).acceptOnlyClientSecret(secret);
                Map<String, String> values = new HashMap<>(source);
                values.put("clients.a.token-url", idp.tokenUri().toString());
                values.put("clients.a.client-id", "a");
                values.put("clients.a.auth-method", "client_secret_post");
                Settings settings = settingsWithEnvironment(values, Map.of("A_SECRET", secret + "\n"));
                try (Tokenkeeper tk = Tokenkeeper.start(TokenkeeperConfig.from(settings))) {
                    tk.provider().token(tk.defaultKey());
                }
                assertThat(idp.lastRequest().form().get("client_secret")).as(source.keySet().toString()).isEqualTo(secret);
                assertThat(idp.lastRequest().body()).doesNotContain("%0A");
            }
        }
    }

    /** Settings from a properties file (the inline value keeps its newline as an escape) and an environment. */
    private Settings settingsWithEnvironment(Map<String, String> values, Map<String, String> environment) throws Exception {
        java.util.Properties p = new java.util.Properties();
        p.putAll(values);
        Path config = dir.resolve("config-" + UUID.randomUUID() + ".properties");
        try (var w = Files.newBufferedWriter(config)) {
            p.store(w, null);
        }
        return Settings.load(config, environment);
    }
}
