package dev.tokenkeeper.bootstrap.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.adapter.store.memory.MemoryTokenStore;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.spi.TokenStore;
import dev.tokenkeeper.testsupport.Await;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ReconnectingStoreTest {

    final InstantSource clock = InstantSource.system();
    final MemoryTokenStore shared = new MemoryTokenStore(clock);
    final StoreKey key = new StoreKey("k");
    final SealedToken token = new SealedToken(new byte[] {1, 2, 3}, Instant.now().plusSeconds(600));

    @Test
    @DisplayName("a store that answers at start is returned as it is")
    void upAtStart() {
        assertThat(ReconnectingStore.open("test", () -> shared, clock)).isSameAs(shared);
    }

    @Test
    @DisplayName("misconfiguration is not an outage: it is thrown at start")
    void misconfigured() {
        assertThatThrownBy(() -> ReconnectingStore.open("test", () -> {
            throw new ConfigurationException("unknown tables");
        }, clock)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> ReconnectingStore.open("test", () -> {
            throw new IllegalArgumentException("unsupported database");
        }, clock)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("down at start: memory until it answers, then what memory held is copied and calls go to the store")
    void downThenUp() {
        AtomicBoolean up = new AtomicBoolean();
        AtomicInteger attempts = new AtomicInteger();
        Supplier<TokenStore> connect = () -> {
            attempts.incrementAndGet();
            if (!up.get()) {
                throw new UncheckedIOException(new ConnectException("refused"));
            }
            return shared;
        };
        TokenStore store = ReconnectingStore.open("test", connect, clock, Duration.ofMillis(20));
        try {
            assertThat(store).isInstanceOf(ReconnectingStore.class);
            ReconnectingStore r = (ReconnectingStore) store;
            store.save(key, token);
            assertThat(store.load(key)).contains(token);
            assertThat(store.tryLease(key, Duration.ofSeconds(5))).as("leases from memory while down").isPresent();
            Await.until("a few retries while down", () -> attempts.get() >= 3);
            assertThat(r.connected()).isFalse();
            assertThat(shared.load(key)).isEmpty();

            up.set(true);
            Await.until("connected once it answers", r::connected);
            assertThat(shared.load(key)).as("copied on reconnecting").contains(token);
            int after = attempts.get();
            StoreKey other = new StoreKey("other");
            store.save(other, token);
            assertThat(shared.load(other)).as("calls go to the store").contains(token);
            assertThat(attempts.get()).as("no more attempts once connected").isEqualTo(after);
            assertThat(store.isPersistent()).isTrue();
        } finally {
            store.close();
        }
    }
}
