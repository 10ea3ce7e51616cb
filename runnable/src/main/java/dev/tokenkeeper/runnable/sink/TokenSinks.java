package dev.tokenkeeper.runnable.sink;

import dev.tokenkeeper.bootstrap.SinkConfig;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenEventListener;
import dev.tokenkeeper.domain.api.TokenProvider;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every configured token sink ({@link SinkConfig}) holding its client's current token, for
 * as long as {@code serve} or {@code exec} runs.
 *
 * <p>A sink is rewritten whenever the token it would hold changes: at the first acquisition and at
 * every renewal. Two things notice a change: the manager's events ({@link #onEvent}: an acquisition
 * that succeeded, a token found in the shared store, an invalidation) nudge an immediate check, and
 * a periodic check ({@code refresh.check-interval}) asks the provider for the token, a near-cache
 * hit that also keeps the key in use so that the manager keeps refreshing it ahead of expiry; a
 * renewal by another instance through a shared store reaches this one when its own copy comes due
 * and is picked up the same way. The manager renews at the refresh point ({@code refresh.ahead}
 * before expiry), so the file holds the new token well before the old one expires, and a token is
 * written only while {@link AccessToken#expiresAt()} is still ahead of the clock, never an older
 * token over a newer one. When no token can be had, the file keeps the last one (its expiry is in
 * the json and env formats) and one WARN says so.
 *
 * <p>Logs name the sink, the path and the expiry, never the token. Files are written by one thread
 * ({@code tokenkeeper-sinks}), one at a time; {@link #close()} stops it, then removes the files whose
 * sink says {@code on-shutdown=delete}.
 *
 * <p>Thread-safe. Lifecycle: {@link #forConfig} (before the tokenkeeper is built, so that it can
 * be given as a listener), optional {@link #onRenewal}, {@link #start}, {@link #close()}.
 */
public final class TokenSinks implements TokenEventListener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("dev.tokenkeeper.sink");

    private final Map<TokenKey, Watch> watches = new LinkedHashMap<>();
    private final InstantSource clock;
    private final Duration checkInterval;
    private final ScheduledExecutorService writer;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile TokenProvider provider;

    private TokenSinks(TokenkeeperConfig config, InstantSource clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.checkInterval = config.refreshTiming().checkInterval();
        for (SinkConfig sink : config.sinks().values()) {
            TokenkeeperConfig.ClientConfig client = config.clients().get(sink.client());
            watch(client.key()).files.add(new SinkFile(sink));
        }
        this.writer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tokenkeeper-sinks");
            t.setDaemon(true); // close() stops it; a process that exits without closing must not hang on it
            return t;
        });
    }

    /**
     * The sinks {@code config} configures (possibly none), not started: give it to the tokenkeeper
     * builder as a listener, then {@link #start} it with the provider.
     */
    public static TokenSinks forConfig(TokenkeeperConfig config, InstantSource clock) {
        return new TokenSinks(Objects.requireNonNull(config, "config"), clock);
    }

    /**
     * Runs {@code action} after each renewal of {@code key}'s token (not its first acquisition),
     * once every sink of the key holds the new token: {@code exec --renew-signal}. A key without a
     * sink is watched all the same. Call before {@link #start}.
     */
    public synchronized TokenSinks onRenewal(TokenKey key, Runnable action) {
        if (started.get()) {
            throw new IllegalStateException("onRenewal must be called before start");
        }
        watch(Objects.requireNonNull(key, "key")).renewals.add(Objects.requireNonNull(action, "action"));
        return this;
    }

    /** Whether any sink is configured. */
    public boolean hasSinks() {
        return watches.values().stream().anyMatch(w -> !w.files.isEmpty());
    }

    /** The configured sinks, for start-up lines. */
    public List<SinkConfig> sinks() {
        List<SinkConfig> all = new ArrayList<>();
        watches.values().forEach(w -> w.files.forEach(f -> all.add(f.config())));
        return all;
    }

    /**
     * Starts keeping the files: removes what a killed process left, checks every key now and then
     * every {@code refresh.check-interval}. Returns at once; see {@link #awaitWritten}.
     */
    public synchronized void start(TokenProvider provider) {
        Objects.requireNonNull(provider, "provider");
        if (watches.isEmpty() || !started.compareAndSet(false, true)) {
            return;
        }
        this.provider = provider;
        for (Watch w : watches.values()) {
            for (SinkFile f : w.files) {
                int removed = f.removeLeftovers();
                if (removed > 0) {
                    LOG.info("sink {}: removed {} temporary file(s) a stopped process left beside {}", f.config().name(),
                            removed, f.config().path());
                }
                LOG.info("{}", f.config().describe());
            }
        }
        writer.scheduleWithFixedDelay(this::checkAll, 0, checkInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Waits until every sink holds a token, at most {@code patience}: {@code exec} starts its child
     * once the files it may read exist.
     *
     * @return whether they all do
     */
    public boolean awaitWritten(Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        for (Watch w : watches.values()) {
            if (!w.files.isEmpty() && !w.firstWrite.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return false;
            }
        }
        return true;
    }

    /** Events on the manager's threads: only a nudge, the work is the writer thread's. */
    @Override
    public void onEvent(TokenEvent event) {
        if (!started.get() || closed.get()) {
            return;
        }
        if (event instanceof TokenEvent.AcquisitionSucceeded || event instanceof TokenEvent.StoreHit
                || event instanceof TokenEvent.TokenInvalidated) {
            for (Map.Entry<TokenKey, Watch> e : watches.entrySet()) {
                if (e.getKey().client().equals(event.client())) {
                    submit(() -> check(e.getValue()));
                }
            }
        }
    }

    private void checkAll() {
        watches.values().forEach(this::check);
    }

    /** Asks for the token (a cache hit, or the acquisition it joins) and writes it on the writer thread. */
    private void check(Watch w) {
        if (closed.get()) {
            return;
        }
        try {
            provider.tokenAsync(w.key).whenComplete((token, error) -> submit(() -> offer(w, token, error)));
        } catch (RuntimeException e) {
            submit(() -> offer(w, null, e));
        }
    }

    /** On the writer thread: write {@code token} if it is new, newer and not expired. */
    private void offer(Watch w, AccessToken token, Throwable error) {
        if (closed.get()) {
            return;
        }
        if (error != null) {
            Throwable cause = TokenException.unwrap(error);
            String kind = cause instanceof TokenException te ? te.kind().name() : cause.getClass().getSimpleName();
            if (!kind.equals(w.lastFailure)) {
                w.lastFailure = kind;
                if (!w.files.isEmpty()) {
                    LOG.warn("sinks of client {}: no token [{}]; {} keep the last token written{}", w.key.client(), kind,
                            w.paths(), w.writtenExpiresAt == null ? " (none yet)" : ", which expires at " + w.writtenExpiresAt);
                }
            }
            return;
        }
        w.lastFailure = null;
        Instant now = clock.instant();
        if (!token.expiresAt().isAfter(now)) {
            return; // never hand a reader an expired token
        }
        if (w.written != null && (w.written.sameValueAs(token) || token.expiresAt().isBefore(w.writtenExpiresAt))) {
            return; // unchanged, or an older answer that arrived late
        }
        boolean renewal = w.written != null;
        boolean allWritten = true;
        for (SinkFile f : w.files) {
            try {
                f.write(token);
                LOG.info("sink {}: wrote {} (client {}, expires at {})", f.config().name(), f.config().path(), w.key.client(),
                        token.expiresAt());
            } catch (RuntimeException e) {
                allWritten = false;
                LOG.warn("{}; retried at the next check", e.getMessage());
            }
        }
        if (!allWritten) {
            return; // not remembered as written: the next check writes every file again
        }
        w.written = token;
        w.writtenExpiresAt = token.expiresAt();
        w.firstWrite.countDown();
        if (renewal) {
            for (Runnable r : w.renewals) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.warn("after the renewal of client {}: {}", w.key.client(), e.getClass().getSimpleName());
                }
            }
        }
    }

    private void submit(Runnable task) {
        try {
            writer.execute(task);
        } catch (RejectedExecutionException closing) {
            // closed meanwhile: nothing more is written
        }
    }

    private Watch watch(TokenKey key) {
        return watches.computeIfAbsent(key, Watch::new);
    }

    /**
     * Stops writing (a write in progress finishes: a file is never left half-renamed), then removes
     * the files of the sinks that say {@code on-shutdown=delete} and keeps the others. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // no interrupt: a write in progress completes its rename; queued checks see closed and do nothing
        writer.shutdown();
        try {
            if (!writer.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("sinks: a write did not finish within 10s; closing anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!started.get()) {
            return;
        }
        for (Watch w : watches.values()) {
            for (SinkFile f : w.files) {
                if (f.config().onShutdown() == SinkConfig.OnShutdown.DELETE) {
                    try {
                        f.delete();
                        LOG.info("sink {}: removed {} (on-shutdown=delete)", f.config().name(), f.config().path());
                    } catch (RuntimeException e) {
                        LOG.warn("{}", e.getMessage());
                    }
                } else {
                    LOG.info("sink {}: kept {} (on-shutdown=keep){}", f.config().name(), f.config().path(),
                            w.writtenExpiresAt == null ? "" : "; its token expires at " + w.writtenExpiresAt);
                }
            }
        }
    }

    /** One key's sinks and what was last written to them (confined to the writer thread after start). */
    private static final class Watch {
        final TokenKey key;
        final List<SinkFile> files = new CopyOnWriteArrayList<>();
        final List<Runnable> renewals = new CopyOnWriteArrayList<>();
        final CountDownLatch firstWrite = new CountDownLatch(1);
        AccessToken written;
        volatile Instant writtenExpiresAt;
        String lastFailure;

        Watch(TokenKey key) {
            this.key = key;
        }

        List<String> paths() {
            return files.stream().map(f -> f.config().path().toString()).toList();
        }
    }
}
