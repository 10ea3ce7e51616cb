package dev.tokenkeeper.bootstrap.cli;

import ch.qos.logback.classic.Level;
import dev.tokenkeeper.bootstrap.sidecar.Sidecar;
import dev.tokenkeeper.bootstrap.sidecar.SidecarConfig;
import java.time.InstantSource;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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
            "  GET /auth/status     per client: has_token, expires_at, expires_in_seconds, is_valid,",
            "                       refresh_at, source, last_error, circuit (never a token)",
            "  GET /health/live     200 while running",
            "  GET /health/ready    200 when the store answers and each client has a valid token or a",
            "                       reachable IdP; 503 otherwise and while stopping",
            "  GET /metrics         Prometheus text format",
            "  GET /token/{client}  only with sidecar.token-endpoint.enabled=true, and",
            "                       'Authorization: Bearer <secret>' (sidecar.token-endpoint.secret-env)",
            "",
            "Binds sidecar.host (default 127.0.0.1) and sidecar.port (default 8787), e.g.",
            "TOKENKEEPER__SIDECAR__PORT=9000. A non-loopback host needs sidecar.allow-remote-bind=true.",
            "Logs one line per token acquisition to standard error."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:stopped normally",
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
        TokenkeeperCli.setLogLevel(Level.INFO);
        SidecarConfig.Loaded loaded = SidecarConfig.load(parent.serveSettings());
        Sidecar sidecar;
        try {
            sidecar = Sidecar.launch(loaded, InstantSource.system());
        } catch (IllegalStateException e) {
            System.err.println("tokenkeeper: " + e.getMessage());
            return CANNOT_SERVE;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            sidecar.close(); // the JVM waits for hooks: this is where SIGTERM drains in-flight requests
            stopped.countDown();
        }, "tokenkeeper-sidecar-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.println("tokenkeeper: sidecar listening on " + sidecar.uri() + " for clients "
                + loaded.config().clients().keySet().stream().sorted().toList() + " ("
                + loaded.sidecar().describe() + ")");
        boolean interrupted = false;
        try {
            stopped.await();
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
}
