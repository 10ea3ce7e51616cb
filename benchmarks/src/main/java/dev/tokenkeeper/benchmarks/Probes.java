package dev.tokenkeeper.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tokenkeeper.adapter.store.jdbc.JdbiTokenStore;
import dev.tokenkeeper.adapter.store.jdbc.SchemaAction;
import dev.tokenkeeper.adapter.store.memory.MemoryTokenStore;
import dev.tokenkeeper.adapter.store.redis.RedisTokenStore;
import dev.tokenkeeper.application.ManagerStats;
import dev.tokenkeeper.benchmarks.Contenders.Env;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.spi.TokenStore;
import dev.tokenkeeper.fakeidp.FakeIdp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/** Latency probes measured with {@code System.nanoTime()} around single calls, one call at a time. */
public final class Probes {

    private Probes() {}

    /** Read and write latency of one store. */
    public record StoreLatency(String store, Samples save, Samples load, String error) {}

    /** Latency of the near-cache-miss path served from a store, and of the near-cache hit after it. */
    public record StorePath(String store, Samples storePath, Samples nearHit, ManagerStats readerStats, String error) {}

    /**
     * {@code count} saves of distinct keys, then {@code count} loads of them, on {@code store}:
     * a ~200-byte sealed entry, as a sealed JWT-sized token is.
     */
    public static StoreLatency storeLatency(String name, Supplier<TokenStore> factory, int count, String tag) {
        Samples save = new Samples();
        Samples load = new Samples();
        TokenStore store;
        try {
            store = factory.get();
        } catch (RuntimeException e) {
            return new StoreLatency(name, save, load, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        try (store) {
            Random random = new Random(42);
            byte[] bytes = new byte[200];
            Instant expires = Instant.now().plus(Duration.ofMinutes(10));
            List<StoreKey> keys = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                keys.add(new StoreKey("tkbench-" + tag + "-" + i));
            }
            int warm = Math.min(50, count); // connections, statement caches, JIT: not what we measure
            for (int i = 0; i < warm; i++) {
                random.nextBytes(bytes);
                store.save(new StoreKey("tkbench-" + tag + "-warm" + i), new SealedToken(bytes, expires));
                store.load(new StoreKey("tkbench-" + tag + "-warm" + i));
            }
            for (StoreKey key : keys) {
                random.nextBytes(bytes);
                SealedToken sealed = new SealedToken(bytes, expires);
                long t0 = System.nanoTime();
                store.save(key, sealed);
                save.add(System.nanoTime() - t0);
            }
            for (StoreKey key : keys) {
                long t0 = System.nanoTime();
                boolean found = store.load(key).isPresent();
                load.add(System.nanoTime() - t0);
                if (!found) {
                    throw new IllegalStateException("a saved entry was not found");
                }
            }
            return new StoreLatency(name, save, load, null);
        } catch (RuntimeException e) {
            return new StoreLatency(name, save, load, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /**
     * A writer instance acquires {@code count} keys through {@code store} (IdP latency zero); a second,
     * fresh instance then asks for each key once (near-cache miss served from the store: load, unseal,
     * install) and once more (near-cache hit). The reader's counters prove no token came from the IdP.
     */
    public static StorePath storePath(String name, Supplier<TokenStore> stores, FakeIdp idp, Env env, int count) {
        idp.resetCounts();
        idp.latency(Duration.ZERO);
        Samples path = new Samples();
        Samples hit = new Samples();
        List<TokenKey> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            keys.add(TokenKey.of("bench", "sp-" + env.tag() + "-" + i));
        }
        Contenders.Tokenkeeper writer = null;
        Contenders.Tokenkeeper reader = null;
        try {
            writer = Contenders.tokenkeeper(env, stores.get(), null, Contenders.Margins.of(env.lifetime()).tokenkeeperPolicy(), false);
            for (TokenKey key : keys) {
                writer.manager.token(key);
            }
            reader = Contenders.tokenkeeper(env, stores.get(), null, Contenders.Margins.of(env.lifetime()).tokenkeeperPolicy(), false);
            // warm the reader's code paths on a few keys that are not measured
            for (int i = 0; i < Math.min(20, count / 5); i++) {
                reader.manager.token(TokenKey.of("bench", "sp-" + env.tag() + "-warm" + i));
            }
            long idpBefore = idp.requestCount();
            for (TokenKey key : keys) {
                long t0 = System.nanoTime();
                reader.manager.token(key);
                path.add(System.nanoTime() - t0);
            }
            for (TokenKey key : keys) {
                long t0 = System.nanoTime();
                reader.manager.token(key);
                hit.add(System.nanoTime() - t0);
            }
            if (idp.requestCount() != idpBefore) {
                throw new IllegalStateException("the reader went to the IdP " + (idp.requestCount() - idpBefore)
                        + " times: the store path was not measured");
            }
            return new StorePath(name, path, hit, reader.manager.stats(), null);
        } catch (RuntimeException e) {
            return new StorePath(name, path, hit, null, e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            if (reader != null) {
                reader.close();
            }
            if (writer != null) {
                writer.close();
            }
        }
    }

    /**
     * The miss path: {@code count} keys never seen before, asked for one after another, so that the
     * caller waits for the IdP every time ({@code latency}).
     */
    public static Samples missPath(FakeIdp idp, Env env, Duration latency, int count) {
        idp.resetCounts();
        idp.latency(latency);
        Samples miss = new Samples();
        try (Contenders.Tokenkeeper tk = Contenders.tokenkeeper(env, new MemoryTokenStore(), null,
                Contenders.Margins.of(env.lifetime()).tokenkeeperPolicy(), true)) {
            for (int i = 0; i < 5; i++) {
                tk.manager.token(TokenKey.of("bench", "miss-" + env.tag() + "-warm" + i));
            }
            for (int i = 0; i < count; i++) {
                TokenKey key = TokenKey.of("bench", "miss-" + env.tag() + "-" + i);
                long t0 = System.nanoTime();
                tk.manager.token(key);
                miss.add(System.nanoTime() - t0);
            }
        }
        return miss;
    }

    /** Stores for the probes. */
    static Supplier<TokenStore> memory() {
        return MemoryTokenStore::new;
    }

    static Supplier<TokenStore> redis(Env env) {
        return () -> RedisTokenStore.connect(env.redis());
    }

    /** An H2 in-memory database (embedded, no server) behind a small pool. */
    static Supplier<TokenStore> h2(String tag) {
        return () -> {
            HikariConfig c = new HikariConfig();
            c.setJdbcUrl("jdbc:h2:mem:tkbench_" + tag + ";DB_CLOSE_DELAY=-1");
            c.setMaximumPoolSize(4);
            c.setPoolName("tkbench-h2");
            HikariDataSource ds = new HikariDataSource(c);
            JdbiTokenStore store = JdbiTokenStore.builder(ds).tablePrefix("tkbench_").schemaAction(SchemaAction.APPLY).build();
            return new ClosingStore(store, ds);
        };
    }

    static Supplier<TokenStore> postgres(Env env) {
        return () -> {
            HikariDataSource ds = Contenders.postgresPool(env.postgres(), 4);
            try {
                return new ClosingStore(Contenders.postgresStore(ds), ds);
            } catch (RuntimeException e) {
                ds.close();
                throw e;
            }
        };
    }

    /** A store that also closes its pool. */
    record ClosingStore(TokenStore delegate, HikariDataSource pool) implements TokenStore {
        @Override
        public java.util.Optional<SealedToken> load(StoreKey key) {
            return delegate.load(key);
        }

        @Override
        public void save(StoreKey key, SealedToken token) {
            delegate.save(key, token);
        }

        @Override
        public boolean delete(StoreKey key) {
            return delegate.delete(key);
        }

        @Override
        public java.util.Optional<dev.tokenkeeper.domain.spi.Lease> tryLease(StoreKey key, Duration ttl) {
            return delegate.tryLease(key, ttl);
        }

        @Override
        public boolean release(dev.tokenkeeper.domain.spi.Lease lease) {
            return delegate.release(lease);
        }

        @Override
        public boolean extend(dev.tokenkeeper.domain.spi.Lease lease, Duration ttl) {
            return delegate.extend(lease, ttl);
        }

        @Override
        public boolean isPersistent() {
            return delegate.isPersistent();
        }

        @Override
        public void close() {
            delegate.close();
            pool.close();
        }
    }
}
