package dev.tokenkeeper.bootstrap.persistence;

import dev.tokenkeeper.adapter.store.memory.MemoryTokenStore;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shared store that could not be reached when tokenkeeper started: until it answers, tokens are
 * kept in this process's memory (the near cache then serves them; nothing is shared), with one
 * WARN line saying so; a background thread tries again every {@link #RETRY_EVERY}, and once the
 * store answers, what memory holds is copied into it and every call goes to it.
 *
 * <p>Why not let the store fail each call, as for a store that dies while running? Building a JDBC
 * store needs the database (dialect detection, the schema), so there would be no store to fail;
 * and a store down at start would log a WARN for every operation of every key while an operator
 * is most likely already looking at the database's outage. A store that fails after it answered
 * is the {@code TokenManager}'s business, as before: its calls fail and each degrades to a miss.
 *
 * <p>Misconfiguration is not an outage: a {@link ConfigurationException} or
 * {@link IllegalArgumentException} from the first attempt (tables unknown, an unsupported database)
 * is thrown at start. Messages name the store by kind only (no URL, so no password) and the
 * failure by its class.
 *
 * <p>Thread-safe.
 */
public final class ReconnectingStore implements TokenStore {

    /** How often a store that was down at start is tried again. */
    public static final Duration RETRY_EVERY = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger("dev.tokenkeeper");

    private final String name;
    private final Supplier<TokenStore> connect;
    private final MemoryTokenStore memory;
    private final ScheduledExecutorService retries;
    private volatile TokenStore current;
    private volatile String lastRefusal;

    private ReconnectingStore(String name, Supplier<TokenStore> connect, InstantSource clock, Duration retryEvery) {
        this.name = name;
        this.connect = connect;
        this.memory = new MemoryTokenStore(clock);
        this.current = memory;
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tokenkeeper-store-reconnect");
            t.setDaemon(true);
            return t;
        });
        long millis = retryEvery.toMillis();
        retries.scheduleWithFixedDelay(this::retry, millis, millis, TimeUnit.MILLISECONDS);
    }

    /**
     * The store {@code connect} makes, or, if it cannot be reached now, a store that keeps tokens
     * in memory until {@code connect} succeeds (tried every {@link #RETRY_EVERY}).
     *
     * @param name the kind of store, for the log ("jdbc", "redis"): never a URL
     * @param connect makes the store, or throws if it cannot be reached; called again on each retry
     * @throws ConfigurationException if the store is misconfigured (from {@code connect})
     * @throws IllegalArgumentException if the store is not supported (from {@code connect})
     */
    public static TokenStore open(String name, Supplier<TokenStore> connect, InstantSource clock) {
        return open(name, connect, clock, RETRY_EVERY);
    }

    static TokenStore open(String name, Supplier<TokenStore> connect, InstantSource clock, Duration retryEvery) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(connect, "connect");
        Objects.requireNonNull(clock, "clock");
        try {
            return connect.get();
        } catch (ConfigurationException | IllegalArgumentException misconfigured) {
            throw misconfigured;
        } catch (RuntimeException down) {
            LOG.warn("{} store cannot be reached at start ({}); tokens are kept in this process's memory, unshared, "
                    + "until it answers (tried every {}s)", name, rootCause(down), retryEvery.toSeconds());
            return new ReconnectingStore(name, connect, clock, retryEvery);
        }
    }

    /** Whether the store has answered since start (calls go to it) rather than to memory. */
    public boolean connected() {
        return current != memory;
    }

    private void retry() {
        TokenStore store;
        try {
            store = connect.get();
        } catch (RuntimeException e) {
            String refusal = e instanceof ConfigurationException || e instanceof IllegalArgumentException ? rootCause(e) : null;
            if (refusal != null && !refusal.equals(lastRefusal)) {
                LOG.warn("{} store answers but cannot be used ({}); tokens stay in memory", name, refusal);
            }
            lastRefusal = refusal;
            return;
        }
        memory.forEach((key, token) -> {
            try {
                store.save(key, token);
            } catch (RuntimeException e) {
                // the store failed again at once; the manager's own calls will find that out
            }
        });
        current = store;
        retries.shutdown();
        LOG.info("{} store answers now; tokens are kept in it from here on", name);
    }

    /** What failed, printable: a ConfigurationException's message (written to be shown), else the root cause's class. */
    private static String rootCause(Throwable e) {
        if (e instanceof ConfigurationException) {
            return e.getMessage();
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName();
    }

    @Override
    public Optional<SealedToken> load(StoreKey key) {
        return current.load(key);
    }

    @Override
    public void save(StoreKey key, SealedToken token) {
        current.save(key, token);
    }

    @Override
    public boolean delete(StoreKey key) {
        return current.delete(key);
    }

    @Override
    public Optional<Lease> tryLease(StoreKey key, Duration ttl) {
        return current.tryLease(key, ttl);
    }

    @Override
    public boolean release(Lease lease) {
        return current.release(lease);
    }

    @Override
    public boolean extend(Lease lease, Duration ttl) {
        return current.extend(lease, ttl);
    }

    @Override
    public void forEach(BiConsumer<StoreKey, SealedToken> action) {
        current.forEach(action);
    }

    /** True: the store it stands for keeps entries across processes (sealing is required as for it). */
    @Override
    public boolean isPersistent() {
        return true;
    }

    /** Stops trying. What {@code connect} made belongs to the caller, who closes it. */
    @Override
    public void close() {
        retries.shutdownNow();
        memory.close();
    }

    @Override
    public String toString() {
        return "ReconnectingStore[" + name + (connected() ? ", connected" : ", in memory until it answers") + "]";
    }
}
