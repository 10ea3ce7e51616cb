package dev.tokenkeeper.bootstrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.tokenkeeper.domain.ConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13: the {@code sinks.<name>.*} settings, read and checked with the rest of the configuration. */
class SinkConfigTest {

    private static final String SECRET = "sink-config-client-secret-never-shown";

    private static Map<String, String> client(String name) {
        Map<String, String> m = new HashMap<>();
        m.put("clients." + name + ".token-url", "http://127.0.0.1:9/token");
        m.put("clients." + name + ".client-id", name);
        m.put("clients." + name + ".client-secret", SECRET);
        return m;
    }

    @Test
    @DisplayName("defaults: raw, 0600, ACCESS_TOKEN, deleted on shutdown; a configuration without sinks has none")
    void defaults(@TempDir Path dir) {
        Map<String, String> s = client("orders");
        assertThat(TokenkeeperConfig.from(Settings.of(s)).sinks()).isEmpty();
        s.put("sinks.orders-file.client", "orders");
        s.put("sinks.orders-file.path", dir.resolve("orders.token").toString());
        SinkConfig sink = TokenkeeperConfig.from(Settings.of(s)).sinks().get("orders-file");
        assertThat(sink).isEqualTo(new SinkConfig("orders-file", "orders", dir.resolve("orders.token"), SinkConfig.Format.RAW,
                "ACCESS_TOKEN", PosixFilePermissions.fromString("rw-------"), null, SinkConfig.OnShutdown.DELETE));
        assertThat(sink.describe()).contains("format=raw", "mode=rw-------", "on-shutdown=delete");
    }

    @Test
    @DisplayName("every key, from a file's spelling and from the environment's")
    void everyKey(@TempDir Path dir) throws Exception {
        Map<String, String> s = client("orders");
        s.put("sinks.env.client", "orders");
        s.put("sinks.env.path", dir.resolve("orders.env").toString());
        s.put("sinks.env.format", "env");
        s.put("sinks.env.env-name", "ORDERS_TOKEN");
        s.put("sinks.env.mode", "0640");
        s.put("sinks.env.on-shutdown", "keep");
        Map<String, String> env = Map.of("TOKENKEEPER__SINKS__JSON__CLIENT", "orders",
                "TOKENKEEPER__SINKS__JSON__PATH", dir.resolve("orders.json").toString(),
                "TOKENKEEPER__SINKS__JSON__FORMAT", "JSON", "TOKENKEEPER__SINKS__JSON__MODE", "644");
        java.util.Properties props = new java.util.Properties();
        props.putAll(s);
        Path file = dir.resolve("tokenkeeper.properties");
        try (var out = Files.newOutputStream(file)) {
            props.store(out, null);
        }
        Settings settings = Settings.load(file, env);
        TokenkeeperConfig c = TokenkeeperConfig.from(settings);
        SinkConfig e = c.sinks().get("env");
        assertThat(e.format()).isEqualTo(SinkConfig.Format.ENV);
        assertThat(e.envName()).isEqualTo("ORDERS_TOKEN");
        assertThat(e.mode()).isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
        assertThat(e.onShutdown()).isEqualTo(SinkConfig.OnShutdown.KEEP);
        SinkConfig j = c.sinks().get("json");
        assertThat(j.format()).isEqualTo(SinkConfig.Format.JSON);
        assertThat(j.mode()).isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
        // the withStore copy keeps the sinks (serve's store differs from the other commands')
        assertThat(c.withStore(c.store()).sinks()).isEqualTo(c.sinks());
    }

    @Test
    @DisplayName("every mistake at once, each naming its setting: unknown client, DPoP client, relative path, missing "
            + "directory, a directory, a symbolic link, the same file twice, bad format, env-name without env, wide mode, "
            + "unknown group, bad on-shutdown, unknown key; never the client secret")
    void everyProblemAtOnce(@TempDir Path dir) throws Exception {
        Map<String, String> s = client("orders");
        s.putAll(client("bound"));
        s.put("clients.bound.dpop", "true");
        Path real = Files.writeString(dir.resolve("real"), "x");
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        s.put("sinks.a.client", "nobody");
        s.put("sinks.a.path", "relative/token");
        s.put("sinks.b.client", "bound");
        s.put("sinks.b.path", dir.resolve("missing-dir/token").toString());
        s.put("sinks.c.client", "orders");
        s.put("sinks.c.path", dir.toString());
        s.put("sinks.d.client", "orders");
        s.put("sinks.d.path", link.toString());
        s.put("sinks.e.client", "orders");
        s.put("sinks.e.path", dir.resolve("same").toString());
        s.put("sinks.e.format", "yaml");
        s.put("sinks.f.client", "orders");
        s.put("sinks.f.path", dir.resolve("same").toString());
        s.put("sinks.f.env-name", "X");
        s.put("sinks.g.path", dir.resolve("g").toString());
        s.put("sinks.g.mode", "0666");
        s.put("sinks.h.client", "orders");
        s.put("sinks.h.path", dir.resolve("h").toString());
        s.put("sinks.h.mode", "rw-------");
        s.put("sinks.h.group", "no-such-group-tokenkeeper");
        s.put("sinks.h.on-shutdown", "shred");
        s.put("sinks.h.colour", "blue");
        s.put("sinks.nokey", "x");
        ConfigurationException e = catchThrowableOfType(() -> TokenkeeperConfig.from(Settings.of(s)), ConfigurationException.class);
        assertThat(e).isNotNull();
        assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("sinks.a.client: no client named 'nobody'"))
                .anySatisfy(p -> assertThat(p).startsWith("sinks.a.path: must be an absolute path"))
                .anySatisfy(p -> assertThat(p).startsWith("sinks.b.client: the client 'bound' is DPoP-bound"))
                .anySatisfy(p -> assertThat(p).startsWith("sinks.b.path: the directory ").contains("does not exist"))
                .anySatisfy(p -> assertThat(p).startsWith("sinks.c.path: ").contains("is a directory"))
                .anySatisfy(p -> assertThat(p).startsWith("sinks.d.path: ").contains("symbolic link"))
                .anySatisfy(p -> assertThat(p).startsWith("sinks.e.format: must be raw, json or env, was 'yaml'"))
                .anySatisfy(p -> assertThat(p).startsWith("sinks.f.env-name: only used with format=env"))
                .anySatisfy(p -> assertThat(p).startsWith("sinks.g.client: required"))
                .anySatisfy(p -> assertThat(p).startsWith("sinks.g.mode: must let the owner read"))
                .anySatisfy(p -> assertThat(p).startsWith("sinks.h.mode: must be an octal mode"))
                .anySatisfy(p -> assertThat(p).startsWith("sinks.h.group: no group named 'no-such-group-tokenkeeper'"))
                .anySatisfy(p -> assertThat(p).startsWith("sinks.h.on-shutdown: must be delete or keep"))
                .anySatisfy(p -> assertThat(p).startsWith("sinks.h.colour: unknown sink setting"))
                .anySatisfy(p -> assertThat(p).startsWith("sinks.nokey: a sink setting is sinks.<name>.<key>"));
        assertThat(e.getMessage()).doesNotContain(SECRET);

        // e and f name the same file: once e is fixed, the second one is refused for it
        s.keySet().removeIf(k -> k.startsWith("sinks.") && !k.startsWith("sinks.e.") && !k.startsWith("sinks.f."));
        s.remove("sinks.e.format");
        s.remove("sinks.f.env-name");
        e = catchThrowableOfType(() -> TokenkeeperConfig.from(Settings.of(s)), ConfigurationException.class);
        assertThat(e.problems()).singleElement().asString()
                .startsWith("sinks.f.path: sink e writes " + dir.resolve("same") + " already: give each sink a file of its own");
    }
}
