package dev.tokenkeeper.runnable.cli;

import ch.qos.logback.classic.Level;
import dev.tokenkeeper.runnable.sidecar.Sidecar;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code serve}: runs the sidecar until the process is told to stop (SIGTERM, Ctrl-C) or the
 * calling thread is interrupted, then shuts down gracefully.
 */
@Command(
        name = "serve",
        description = {
            "Run the sidecar HTTP server until stopped (SIGTERM or Ctrl-C stop it gracefully).",
            "",
            "  GET /auth/status     per client: client, has_token, expires_at, expires_in_seconds,",
            "                       is_valid, refresh_at, freshness, source, last_error, circuit",
            "                       (the shape of 'status --json'; never a token)",
            "  GET /health/live     200 while running",
            "  GET /health/ready    200 when the store answers and each client holds a valid token, or",
            "                       its last acquisition succeeded and the IdP answers; 503 otherwise",
            "                       (naming each failing client and the failure kind) and while stopping",
            "  GET /metrics         Prometheus text format",
            "  GET /token/{client}  only with sidecar.token-endpoint.enabled=true, and",
            "                       'Authorization: Bearer <secret>' (sidecar.token-endpoint.secret-env)",
            "",
            "Binds sidecar.host (default 127.0.0.1) and sidecar.port (default 8787), e.g.",
            "TOKENKEEPER__SIDECAR__PORT=9000. A non-loopback host needs sidecar.allow-remote-bind=true.",
            "Only requests whose Host names this sidecar are served (loopback names, the bind address,",
            "the address connected to, sidecar.allowed-hosts); others get 421. Connections close after",
            "sidecar.idle-timeout (60s) without traffic or sidecar.header-timeout (10s) to send headers.",
            "Keeps each token sink (sinks.<name>.client, .path, .format, .mode, ...) holding",
            "its client's current token, and removes it at the stop unless on-shutdown=keep.",
            "Logs one line per token acquisition to standard error."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:stopped normally (SIGTERM, Ctrl-C: in-flight requests finish first)",
            "3:invalid configuration (every problem is listed)",
            "4:the server could not start (e.g. the port is taken)"
        })
final class ServeCommand implements Callable<Integer> {

    /** The server could not start. */
    static final int CANNOT_SERVE = 4;

    @ParentCommand
    TokenkeeperCli parent;

    @Override
    public Integer call() {
        TokenkeeperCli.setLogLevel(parent.debug || "true".equalsIgnoreCase(parent.environment.get(TokenkeeperCli.DEBUG_VARIABLE))
                ? Level.DEBUG : Level.INFO); // issue 12: --debug shows every attempt, never a secret
        TokenkeeperConfig loaded = TokenkeeperConfig.from(parent.serveSettings());
        Sidecar sidecar;
        try {
            sidecar = Sidecar.launch(loaded, InstantSource.system());
        } catch (IllegalStateException e) {
            System.err.println("tokenkeeper: " + e.getMessage());
            return CANNOT_SERVE;
        }
        CountDownLatch stopRequested = new CountDownLatch(1);
        try (StopSignals.Installed signals = StopSignals.install(stopRequested::countDown)) {
            return serveUntilStopped(sidecar, loaded, stopRequested, signals.handled());
        }
    }

    private static int serveUntilStopped(
            Sidecar sidecar, TokenkeeperConfig loaded, CountDownLatch stopRequested, boolean signalsHandled) {
        // fallback when the signals cannot be taken over (e.g. -Xrs, another JVM): the JVM is exiting
        // already (exit 128+signal), and the hook at least drains in-flight requests and says so
        Thread hook = new Thread(() -> {
            sidecar.close();
            System.err.println("tokenkeeper: sidecar stopped");
            stopRequested.countDown();
        }, "tokenkeeper-sidecar-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.println("tokenkeeper: sidecar listening on " + sidecar.uri() + " for clients "
                + loaded.clients().keySet().stream().sorted().toList() + " ("
                + loaded.sidecar().describe() + ")" + (signalsHandled ? "" : "; a signal will stop it with exit 128+signal"));
        boolean interrupted = false;
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            interrupted = true; // restored after the graceful close, which waits
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyStopping) {
            return TokenkeeperCli.OK; // the hook has closed the sidecar
        }
        sidecar.close();
        System.err.println("tokenkeeper: sidecar stopped");
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return TokenkeeperCli.OK;
    }

    /**
     * SIGTERM and SIGINT as a request to stop, so that {@code serve} closes gracefully, prints its
     * "stopped" line and exits 0 as its help promises. The JVM's own handling would start the
     * shutdown at once and exit 143 (or 130) whatever the shutdown hooks do. A second signal while
     * stopping halts at once, as an operator pressing Ctrl-C twice expects.
     *
     * <p>{@code sun.misc.Signal} (module jdk.unsupported, exported to all) is reached by reflection:
     * it is the only way to handle a signal in Java 17, and javac warns about every direct use.
     */
    static final class StopSignals {

        private StopSignals() {}

        /**
         * Installs the handlers until {@link Installed#close()} puts the previous ones back (a
         * test may run {@code serve} inside a longer-lived JVM). When this JVM does not allow it,
         * the default handling stays and {@link Installed#handled()} is false.
         */
        static Installed install(Runnable stop) {
            try {
                Class<?> signalType = Class.forName("sun.misc.Signal");
                Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
                Method handle = signalType.getMethod("handle", signalType, handlerType);
                Method number = signalType.getMethod("getNumber");
                AtomicBoolean requested = new AtomicBoolean();
                Object handler = Proxy.newProxyInstance(handlerType.getClassLoader(), new Class<?>[] {handlerType},
                        (proxy, method, args) -> switch (method.getName()) {
                            case "handle" -> {
                                if (requested.compareAndSet(false, true)) {
                                    stop.run();
                                } else {
                                    Runtime.getRuntime().halt(128 + (int) number.invoke(args[0]));
                                }
                                yield null;
                            }
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "equals" -> proxy == args[0];
                            default -> "StopSignals";
                        });
                Map<Object, Object> previous = new LinkedHashMap<>();
                for (String name : List.of("TERM", "INT")) {
                    Object signal = signalType.getConstructor(String.class).newInstance(name);
                    try {
                        previous.put(signal, handle.invoke(null, signal, handler));
                    } catch (InvocationTargetException notThisOne) {
                        // e.g. SIGINT ignored by a non-interactive shell: leave it as it is
                    }
                }
                return new Installed(!previous.isEmpty(), () -> previous.forEach((signal, old) -> {
                    try {
                        handle.invoke(null, signal, old);
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        // best effort: the process is ending or the JVM refuses
                    }
                }));
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                return new Installed(false, () -> {});
            }
        }

        /**
         * Installed handlers.
         *
         * @param handled whether SIGTERM or SIGINT now request a graceful stop
         * @param restore puts the previous handlers back
         */
        record Installed(boolean handled, Runnable restore) implements AutoCloseable {
            @Override
            public void close() {
                restore.run();
            }
        }
    }
}
