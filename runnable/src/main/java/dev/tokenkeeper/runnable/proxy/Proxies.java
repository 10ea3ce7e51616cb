package dev.tokenkeeper.runnable.proxy;

import dev.tokenkeeper.bootstrap.ProxyConfig;
import dev.tokenkeeper.bootstrap.SidecarConfig;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every configured route of the injecting proxy ({@link ProxyConfig}), started and stopped together
 * by the sidecar. Thread-safe.
 */
public final class Proxies {

    private final Map<String, InjectingProxy> routes;
    private final ExecutorService blocking;

    private Proxies(Map<String, InjectingProxy> routes, ExecutorService blocking) {
        this.routes = Collections.unmodifiableMap(routes);
        this.blocking = blocking;
    }

    /**
     * Starts a listener for each route of {@code tk}'s configuration ({@link
     * dev.tokenkeeper.bootstrap.TokenkeeperConfig#proxies()}), on the Vert.x of {@code tk}.
     *
     * @throws IllegalStateException if a route cannot listen (those already started are closed)
     */
    public static Proxies start(Tokenkeeper tk, SidecarConfig sidecar) {
        ProxyConfig config = tk.config().proxies();
        AtomicInteger n = new AtomicInteger();
        // invalidating a rejected token may reach a shared store: a few threads, idle ones let go
        ExecutorService blocking = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "tokenkeeper-proxy-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Map<String, InjectingProxy> started = new LinkedHashMap<>();
        try {
            for (ProxyConfig.Route route : config.routes().values()) {
                started.put(route.name(), InjectingProxy.start(tk, sidecar, route, blocking));
            }
        } catch (RuntimeException e) {
            started.values().forEach(p -> p.close(Duration.ZERO));
            blocking.shutdownNow();
            throw e;
        }
        return new Proxies(started, blocking);
    }

    /** The running routes by name, in configuration order. */
    public Map<String, InjectingProxy> routes() {
        return routes;
    }

    /** The running route {@code name}. */
    public InjectingProxy route(String name) {
        InjectingProxy p = routes.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no proxy route " + name);
        }
        return p;
    }

    /** Stops every route: each lets its requests in flight finish for up to {@code grace}. */
    public void close(Duration grace) {
        List<Thread> closing = new ArrayList<>();
        for (InjectingProxy p : routes.values()) { // in parallel: the grace is the whole stop's, not each route's
            Thread t = new Thread(() -> p.close(grace), "tokenkeeper-proxy-close-" + p.route().name());
            t.start();
            closing.add(t);
        }
        for (Thread t : closing) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        blocking.shutdown();
    }
}
