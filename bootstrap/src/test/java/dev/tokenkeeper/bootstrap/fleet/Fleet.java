package dev.tokenkeeper.bootstrap.fleet;

import dev.tokenkeeper.adapter.http.VertxTokenEndpoint;
import dev.tokenkeeper.application.Resilience;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.application.TokenManager;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ExpiryPolicy;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.TokenEndpoint;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.spi.TokenRequest;
import dev.tokenkeeper.domain.spi.TokenResponse;
import dev.tokenkeeper.domain.spi.TokenStore;
import dev.tokenkeeper.fakeidp.FakeIdp;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * A fleet of token managers as separate instances of one service would run them: each with its own
 * near cache, its own store client and its own HTTP client, all sharing one store and one real
 * loopback token endpoint ({@link FakeIdp} spoken to by {@link VertxTokenEndpoint}),
 * on the system clock. {@link #startLoad} drives every instance from many threads and records, per
 * call, failures (any exception) and expired tokens served ({@code expiresAt} at or before the
 * wall-clock reading taken just before the call).
 *
 * <h2>How many token requests a fleet may make</h2>
 * Tokens live {@link #LIFETIME}; the {@link #POLICY} serves a token from its request until it
 * becomes refresh-due, which is {@code skew + window - jitter} before its expiry (100 ms + 40 % of
 * the lifetime, less up to an eighth of that window, drawn per instance and token: jitter only
 * delays). So each token is in
 * service for at least {@link #MIN_USABLE} (1.7 s of its 3 s) and the fleet needs a new one no sooner
 * than that after the last was requested. That is the "lifetime" of the one-request-per-lifetime
 * property here: even a single instance makes one request per usable life, and a fleet that shares
 * its tokens must make no more. A run of {@code T} therefore allows at most
 * {@code 1 + floor(T / MIN_USABLE)} requests: the first, then one per elapsed usable life. (Counting
 * in whole 3 s lifetimes instead would ask the fleet to beat a lone instance, which refreshing ahead
 * makes impossible; both counts are reported.)
 */
final class Fleet implements AutoCloseable {

    static final Duration LIFETIME = Duration.ofSeconds(3);
    static final Duration SKEW = Duration.ofMillis(100);
    static final double REFRESH_AHEAD_FRACTION = 0.4;
    static final double JITTER = 0.25;
    static final ExpiryPolicy POLICY = ExpiryPolicy.builder()
            .refreshAhead(Duration.ZERO)
            .refreshAheadFraction(REFRESH_AHEAD_FRACTION)
            .clockSkew(SKEW)
            .jitter(JITTER)
            .build();
    /** The shortest time a token is in service: from its request to its earliest refresh-due point. */
    static final Duration MIN_USABLE;

    static {
        long life = LIFETIME.toMillis();
        long window = (long) (REFRESH_AHEAD_FRACTION * life);
        MIN_USABLE = Duration.ofMillis(life - Math.min(SKEW.toMillis(), life / 4) - window);
    }

    /** The most requests a single-flight fleet makes over {@code run}: the first, then one per usable life. */
    static long allowedRequests(Duration run) {
        return 1 + run.toMillis() / MIN_USABLE.toMillis();
    }

    /** {@code run} counted in usable lives (what the bound counts) and in nominal lifetimes. */
    static String lifetimes(Duration run) {
        return String.format("%.2f usable lives of %d ms = %.2f nominal %d s lifetimes", (double) run.toMillis()
                / MIN_USABLE.toMillis(), MIN_USABLE.toMillis(), (double) run.toMillis() / LIFETIME.toMillis(),
                LIFETIME.toSeconds());
    }

    final String registration;
    final String clientId;
    final String clientSecret;
    final String scope;
    final TokenKey key;
    final FakeIdp idp;
    final List<Instance> instances = new ArrayList<>();
    private final long startNanos = System.nanoTime();
    /** Every token request an instance sent, as (instance, millis since the fleet started). */
    final List<long[]> sent = Collections.synchronizedList(new ArrayList<>());

    /** Starts an IdP and {@code size} instances, each on the store {@code stores} gives for its index. */
    Fleet(int size, IntFunction<TokenStore> stores) {
        String run = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        this.registration = "fleet-registration-" + run;
        this.clientId = "fleet-client-id-" + run;
        this.clientSecret = "fleet-client-secret-" + run + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        this.scope = "fleet.scope." + run;
        this.key = TokenKey.of(registration, scope);
        this.idp = FakeIdp.start().issueTokens(LIFETIME);
        String keys = SealingKeys.generateSpec("k1"); // one key for the fleet, as a deployment would configure
        try {
            for (int i = 0; i < size; i++) {
                instances.add(new Instance(i, stores.apply(i), keys));
            }
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    long millisSinceStart() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** What must not appear in a raw dump of the store, by label: every token issued, the credentials, the names. */
    Map<String, String> needles() {
        Map<String, String> n = new LinkedHashMap<>();
        n.put("client id", clientId);
        n.put("client secret", clientSecret);
        n.put("registration name", registration);
        n.put("scope", scope);
        List<String> issued = idp.issuedTokens();
        for (int i = 0; i < issued.size(); i++) {
            n.put("access token #" + (i + 1), issued.get(i));
        }
        return n;
    }

    /** Starts {@code threadsPerInstance} callers on every instance. */
    Load startLoad(int threadsPerInstance) {
        return new Load(threadsPerInstance);
    }

    /**
     * Asks every instance for the token once (these calls are checked like the load's) and returns
     * the common value if all instances serve the same token, else null.
     */
    String commonToken(Load load) {
        String common = null;
        for (Instance in : instances) {
            AccessToken t = load.call(in);
            if (t == null) {
                return null;
            }
            String v = t.value().reveal();
            if (common == null) {
                common = v;
            } else if (!common.equals(v)) {
                return null;
            }
        }
        return common;
    }

    /** Per instance: the manager's counters and the events it emitted, by type. */
    String describe() {
        StringBuilder b = new StringBuilder();
        for (Instance in : instances) {
            b.append("\n  instance ").append(in.index).append(": ").append(in.manager.stats())
                    .append(" events ").append(new TreeMap<>(in.eventCounts()));
        }
        synchronized (sent) {
            b.append("\n  requests sent (instance@ms): ");
            for (long[] s : sent) {
                b.append(s[0]).append('@').append(s[1]).append(' ');
            }
        }
        return b.toString();
    }

    /** The shortest gap between two consecutive token requests sent at or after {@code fromMillis}; MAX_VALUE if fewer than two. */
    long minGapMillis(long fromMillis) {
        List<Long> times;
        synchronized (sent) {
            times = sent.stream().map(s -> s[1]).filter(t -> t >= fromMillis).sorted().toList();
        }
        long min = Long.MAX_VALUE;
        for (int i = 1; i < times.size(); i++) {
            min = Math.min(min, times.get(i) - times.get(i - 1));
        }
        return min;
    }

    /** The latest time (millis since start) any instance reported a failed store call, or -1. */
    long lastStoreFailureMillis() {
        long last = -1;
        for (Instance in : instances) {
            last = Math.max(last, in.lastStoreFailure.get());
        }
        return last;
    }

    @Override
    public void close() {
        for (Instance in : instances) {
            in.close();
        }
        idp.close();
    }

    /** One instance of the service: a manager with its own near cache, store client and HTTP client. */
    final class Instance implements AutoCloseable {
        final int index;
        final TokenStore store;
        final VertxTokenEndpoint endpoint;
        final TokenManager manager;
        final Map<String, LongAdder> events = new ConcurrentHashMap<>();
        final AtomicLong lastStoreFailure = new AtomicLong(-1);

        Instance(int index, TokenStore store, String sealingKeys) {
            this.index = index;
            this.store = store;
            this.endpoint = VertxTokenEndpoint.builder(idp.tokenUri(), clientId, Secret.of(clientSecret))
                    .connectTimeout(Duration.ofSeconds(1))
                    .requestTimeout(Duration.ofMillis(2500))
                    .build();
            TokenEndpoint counted = new TokenEndpoint() {
                @Override
                public CompletionStage<TokenResponse> request(TokenRequest request) {
                    sent.add(new long[] {index, millisSinceStart()});
                    return endpoint.request(request);
                }
            };
            this.manager = TokenManager.builder()
                    .clock(InstantSource.system())
                    .expiryPolicy(POLICY)
                    .client(registration, counted)
                    .store(store)
                    .sealingKeys(SealingKeys.parse(sealingKeys))
                    // generous grant timeouts: the IdP is up in these tests, and a loaded build machine must
                    // not turn a slow first request (class loading, JIT) into a failed call; the lease
                    // outlives a whole grant; losers wait 1 s per round for the holder's token
                    .resilience(Resilience.defaults().withTimeouts(Duration.ofMillis(2500), Duration.ofSeconds(5)))
                    .leaseTtl(Duration.ofSeconds(6))
                    .leaseWait(Duration.ofSeconds(1))
                    .acquireTimeout(Duration.ofSeconds(15))
                    .sweepInterval(Duration.ofMillis(100))
                    .proactiveRefresh(true)
                    .listener(this::onEvent)
                    .build();
        }

        private void onEvent(TokenEvent e) {
            events.computeIfAbsent(e.getClass().getSimpleName(), k -> new LongAdder()).increment();
            if (e instanceof TokenEvent.StoreFailed) {
                lastStoreFailure.accumulateAndGet(millisSinceStart(), Math::max);
            }
        }

        Map<String, Long> eventCounts() {
            Map<String, Long> m = new LinkedHashMap<>();
            events.forEach((k, v) -> m.put(k, v.sum()));
            return m;
        }

        long events(Class<? extends TokenEvent> type) {
            LongAdder a = events.get(type.getSimpleName());
            return a == null ? 0 : a.sum();
        }

        @Override
        public void close() {
            manager.close();
            endpoint.close();
            try {
                store.close();
            } catch (Exception ignored) {
                // closing a store that lost its server
            }
        }
    }

    /** Callers on every instance, until {@link #stop()}; each call checked for failure and expiry. */
    final class Load implements AutoCloseable {
        /** No run of this harness lasts longer: threads stop here even if the test forgets to. */
        private static final long HARD_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(40);
        private static final long PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(500);

        final LongAdder calls = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder expired = new LongAdder();
        final LongAccumulator maxLatencyNanos = new LongAccumulator(Math::max, 0);
        final Set<String> served = ConcurrentHashMap.newKeySet();
        final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        private final List<Thread> threads = new ArrayList<>();
        private final long started = System.nanoTime();
        private volatile boolean stop;

        private Load(int threadsPerInstance) {
            for (Instance in : instances) {
                for (int t = 0; t < threadsPerInstance; t++) {
                    Thread th = new Thread(() -> loop(in), "fleet-caller-" + in.index + "-" + t);
                    th.setDaemon(true);
                    threads.add(th);
                }
            }
            threads.forEach(Thread::start);
        }

        private void loop(Instance in) {
            String last = null;
            while (!stop && System.nanoTime() - started < HARD_LIMIT_NANOS) {
                AccessToken t = call(in);
                if (t != null) {
                    String v = t.value().reveal();
                    if (!v.equals(last)) {
                        served.add(v);
                        last = v;
                    }
                }
                LockSupport.parkNanos(PAUSE_NANOS);
            }
        }

        /** One checked call: null if it failed; counts an expired token as served (and returns it). */
        AccessToken call(Instance in) {
            long wallBefore = System.currentTimeMillis();
            long t0 = System.nanoTime();
            try {
                AccessToken t = in.manager.token(key);
                if (t.expiresAt().toEpochMilli() <= wallBefore) {
                    expired.increment();
                }
                return t;
            } catch (RuntimeException e) {
                failed.increment();
                if (failures.size() < 20) {
                    failures.add("instance " + in.index + " @" + millisSinceStart() + " ms: "
                            + (e instanceof TokenException te ? te.kind() + " " : "") + e.getClass().getSimpleName()
                            + ": " + e.getMessage());
                }
                return null;
            } finally {
                calls.increment();
                maxLatencyNanos.accumulate(System.nanoTime() - t0);
            }
        }

        /** Stops every caller and waits for them (bounded). */
        void stop() {
            stop = true;
            for (Thread t : threads) {
                try {
                    t.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        @Override
        public void close() {
            stop();
        }

        String summary() {
            return String.format("calls=%d failed=%d expired=%d maxLatency=%d ms distinctTokensServed=%d",
                    calls.sum(), failed.sum(), expired.sum(), TimeUnit.NANOSECONDS.toMillis(maxLatencyNanos.get()),
                    served.size());
        }
    }
}
