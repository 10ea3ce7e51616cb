package dev.tokenkeeper.runnable.sink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenStatus;
import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.testsupport.Await;
import dev.tokenkeeper.testsupport.RequiredServers;
import dev.tokenkeeper.testsupport.SecretScanner;
import dev.tokenkeeper.testsupport.TestClock;
import io.vertx.core.json.JsonObject;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: sinks kept by a real manager against a loopback IdP, with the manager's clock moved by
 * the test; the files are real and read as a consumer reads them.
 */
class TokenSinksIT {

    private static final String SECRET = "token-sinks-it-client-secret";

    private static Map<String, String> settings(FakeIdp idp) {
        Map<String, String> s = new HashMap<>();
        s.put("clients.orders.token-url", idp.tokenUri().toString());
        s.put("clients.orders.client-id", "orders");
        s.put("clients.orders.client-secret", SECRET);
        s.put("refresh.check-interval", "10ms"); // the sweep and the sinks' check look this often (real time)
        s.put("refresh.jitter", "0");
        return s;
    }

    @Test
    @DisplayName("a reader that reads the json sink 10,000 times across several renewals never sees a partial, empty, "
            + "unknown or expired token")
    void readerNeverSeesABadFile(@TempDir Path dir) throws Exception {
        TestClock clock = TestClock.fixed();
        try (SecretScanner scanner = new SecretScanner(); FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofMinutes(10))) {
            scanner.secret(SECRET);
            Path file = dir.resolve("orders.json");
            Map<String, String> s = settings(idp);
            s.put("sinks.orders.client", "orders");
            s.put("sinks.orders.path", file.toString());
            s.put("sinks.orders.format", "json");
            TokenkeeperConfig config = TokenkeeperConfig.from(Settings.of(s));
            TokenSinks sinks = TokenSinks.forConfig(config, clock);
            try (Tokenkeeper tk = Tokenkeeper.builder(config).listener(sinks).clock(clock).start(); sinks) {
                TokenKey key = tk.key("orders");
                sinks.start(tk.provider());
                assertThat(sinks.awaitWritten(Duration.ofSeconds(10))).isTrue();

                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger reads = new AtomicInteger();
                List<String> bad = Collections.synchronizedList(new ArrayList<>());
                Set<String> seen = Collections.synchronizedSet(new HashSet<>());
                Thread reader = new Thread(() -> {
                    while (!stop.get()) {
                        Instant before = clock.instant(); // the token must be valid at least until the read began
                        try {
                            JsonObject doc = new JsonObject(Files.readString(file));
                            String token = doc.getString("access_token");
                            Instant expiresAt = Instant.parse(doc.getString("expires_at"));
                            if (token == null || token.isEmpty() || !idp.issuedTokens().contains(token)) {
                                bad.add("not a token the IdP issued");
                            } else if (!expiresAt.isAfter(before)) {
                                bad.add("expired: " + expiresAt + " at " + before);
                            } else {
                                seen.add(token);
                            }
                        } catch (Exception e) {
                            bad.add(e.getClass().getSimpleName() + ": " + e.getMessage());
                        }
                        reads.incrementAndGet();
                    }
                }, "sink-reader");
                reader.start();
                int renewals = 0;
                try {
                    while (renewals < 6 || reads.get() < 10_000) {
                        String current = new JsonObject(Files.readString(file)).getString("access_token");
                        TokenStatus status = tk.provider().status(key);
                        // between the refresh point and the expiry point: refresh-due, still valid
                        Instant between = status.refreshAt().plus(Duration.between(status.refreshAt(), status.expiresAt()).dividedBy(4));
                        clock.set(between);
                        Await.until("the sink holds the renewed token", () -> {
                            try {
                                return !new JsonObject(Files.readString(file)).getString("access_token").equals(current);
                            } catch (Exception e) {
                                return false;
                            }
                        });
                        renewals++;
                        int target = Math.min(10_000, renewals * 10_000 / 6);
                        // real time: the reader thread runs at its own pace; this only spreads its reads over the renewals
                        Await.until("the reader has read " + target + " times", Duration.ofSeconds(60), () -> reads.get() >= target);
                    }
                } finally {
                    stop.set(true);
                    reader.join(10_000);
                }
                assertThat(bad).as("bad reads").isEmpty();
                assertThat(reads.get()).isGreaterThanOrEqualTo(10_000);
                assertThat(renewals).isGreaterThanOrEqualTo(6);
                assertThat(seen).as("distinct tokens the reader saw").hasSizeGreaterThanOrEqualTo(6);
                assertThat(SinkFileTest.leftovers(dir)).as("temporary files").isEmpty();
            }
            idp.issuedTokens().forEach(scanner::secret); // no log line, no message showed any of them
            scanner.assertClean();
        }
    }

    @Test
    @DisplayName("three formats, 0600 by default and a configured 0640 with a group, deleted or kept on shutdown")
    void formatsModesAndShutdown(@TempDir Path dir) throws Exception {
        TestClock clock = TestClock.at(Instant.now());
        try (SecretScanner scanner = new SecretScanner(); FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofMinutes(10))) {
            scanner.secret(SECRET);
            String group = Files.readAttributes(dir, PosixFileAttributes.class).group().getName();
            Map<String, String> s = settings(idp);
            s.put("sinks.raw.client", "orders");
            s.put("sinks.raw.path", dir.resolve("orders.raw").toString());
            s.put("sinks.json.client", "orders");
            s.put("sinks.json.path", dir.resolve("orders.json").toString());
            s.put("sinks.json.format", "json");
            s.put("sinks.env.client", "orders");
            s.put("sinks.env.path", dir.resolve("orders.env").toString());
            s.put("sinks.env.format", "env");
            s.put("sinks.env.env-name", "ORDERS_TOKEN");
            s.put("sinks.env.mode", "0640");
            s.put("sinks.env.group", group);
            s.put("sinks.env.on-shutdown", "keep");
            TokenkeeperConfig config = TokenkeeperConfig.from(Settings.of(s));
            TokenSinks sinks = TokenSinks.forConfig(config, clock);
            try (Tokenkeeper tk = Tokenkeeper.builder(config).listener(sinks).clock(clock).start()) {
                sinks.start(tk.provider());
                assertThat(sinks.awaitWritten(Duration.ofSeconds(10))).isTrue();
                var token = tk.provider().token(tk.key("orders"));
                String value = scanner.secret(token.value().reveal());

                assertThat(Files.readString(dir.resolve("orders.raw"))).isEqualTo(value + "\n");
                JsonObject json = new JsonObject(Files.readString(dir.resolve("orders.json")));
                assertThat(json.getString("access_token")).isEqualTo(value);
                assertThat(json.getString("token_type")).isEqualToIgnoringCase("Bearer");
                assertThat(Instant.parse(json.getString("expires_at"))).isEqualTo(token.expiresAt());
                Properties env = new Properties();
                env.load(new StringReader(Files.readString(dir.resolve("orders.env"))));
                assertThat(env.getProperty("ORDERS_TOKEN")).isEqualTo(value);
                assertThat(Instant.parse(env.getProperty("ORDERS_TOKEN_EXPIRES_AT"))).isEqualTo(token.expiresAt());

                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("orders.raw")))).isEqualTo("rw-------");
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("orders.json")))).isEqualTo("rw-------");
                PosixFileAttributes e = Files.readAttributes(dir.resolve("orders.env"), PosixFileAttributes.class);
                assertThat(PosixFilePermissions.toString(e.permissions())).isEqualTo("rw-r-----");
                assertThat(e.group().getName()).isEqualTo(group);

                sinks.close();
                assertThat(dir.resolve("orders.raw")).doesNotExist();
                assertThat(dir.resolve("orders.json")).doesNotExist();
                assertThat(Files.readString(dir.resolve("orders.env"))).contains("ORDERS_TOKEN=" + value);
                assertThat(SinkFileTest.leftovers(dir)).isEmpty();
            }
            scanner.assertClean();
        }
    }
    @Test
    @DisplayName("a renewal by another instance through the shared store (Redis) reaches the sink without a token request "
            + "of this instance's own")
    void renewalThroughTheSharedStore(@TempDir Path dir) throws Exception {
        // near real time: Redis expires the stored entries by its own clock
        Instant now = Instant.now();
        TestClock clockA = TestClock.at(now);
        TestClock clockB = TestClock.at(now);
        try (FakeIdp idp = FakeIdp.start().issueTokens(Duration.ofMinutes(10))) {
            Path file = dir.resolve("orders.token");
            Map<String, String> s = settings(idp);
            s.put("store.type", "redis");
            s.put("store.url", RequiredServers.redis().toString());
            s.put("store.prefix", "tk-sinks-it-" + UUID.randomUUID() + ":");
            s.put("sealing.keys", SealingKeys.generateSpec("k1"));
            TokenkeeperConfig plain = TokenkeeperConfig.from(Settings.of(s));
            s.put("sinks.orders.client", "orders");
            s.put("sinks.orders.path", file.toString());
            TokenkeeperConfig withSink = TokenkeeperConfig.from(Settings.of(s));
            TokenKey key = plain.clients().get("orders").key();
            String first;
            // each instance of the other process is closed before this one looks: closing waits for its save
            try (Tokenkeeper b = Tokenkeeper.builder(plain).clock(clockB).start()) {
                first = b.provider().token(key).value().reveal();
            }
            TokenSinks sinks = TokenSinks.forConfig(withSink, clockA);
            try (Tokenkeeper a = Tokenkeeper.builder(withSink).listener(sinks).clock(clockA).start(); sinks) {
                sinks.start(a.provider());
                assertThat(sinks.awaitWritten(Duration.ofSeconds(10))).isTrue();
                assertThat(Files.readString(file).strip()).as("the other instance's token, from the store").isEqualTo(first);
                assertThat(idp.issued()).isEqualTo(1);

                String renewedByB;
                try (Tokenkeeper b = Tokenkeeper.builder(plain).clock(clockB).start()) {
                    assertThat(b.provider().token(key).value().reveal()).isEqualTo(first);
                    clockB.set(between(b.provider().status(key)));
                    b.provider().token(key); // refresh-due: b renews in the background and saves to the store
                    Await.until("b renewed", () -> idp.issued() == 2 && !b.provider().status(key).needsRefresh());
                    renewedByB = idp.issuedTokens().get(1);
                }
                assertThat(Files.readString(file).strip()).as("a has not looked yet: its copy is not due").isEqualTo(first);

                clockA.set(between(a.provider().status(key)));
                Await.until("the sink holds b's token", () -> {
                    try {
                        return Files.readString(file).strip().equals(renewedByB);
                    } catch (Exception e) {
                        return false;
                    }
                });
                assertThat(idp.issued()).as("a took b's token from the store").isEqualTo(2);
                assertThat(a.provider().status(key).source()).isEqualTo(TokenStatus.Source.STORE);
            }
        }
    }

    /** A quarter of the way from the refresh point to the expiry point: refresh-due, still valid. */
    private static Instant between(TokenStatus status) {
        return status.refreshAt().plus(Duration.between(status.refreshAt(), status.expiresAt()).dividedBy(4));
    }

}
