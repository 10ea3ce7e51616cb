package dev.tokenkeeper.runnable.cli;

import ch.qos.logback.classic.Level;
import dev.tokenkeeper.bootstrap.LoggingEventListener;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.runnable.sink.TokenSinks;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code exec}: runs a command with a valid access token in its environment, keeps the configured
 * token sinks fresh while it runs, forwards SIGTERM, SIGINT and SIGHUP to it, optionally signals it
 * after each renewal, and exits with its exit code. The token never appears in an argument list
 * ({@code ps} shows arguments to every user of the host), only in the child's environment.
 */
@Command(
        name = "exec",
        description = {
            "Run a command with a valid access token in its environment, and exit with",
            "its exit code: tokenkeeper exec [OPTIONS] -- CMD [ARGS...]",
            "",
            "The token is acquired first (no token: exit 1, the command is not started)",
            "and handed to the command in the variable --env (default ACCESS_TOKEN),",
            "never in its arguments. While it runs, the token sinks (sinks.<name>.*) are",
            "kept fresh, so a long-running command can re-read a file for a renewed",
            "token; --renew-signal HUP tells it when (after each renewal, once the",
            "files hold the new token). SIGTERM, SIGINT and SIGHUP sent to tokenkeeper",
            "are passed on to the command, and tokenkeeper waits for it to end. The",
            "store is the one 'token' uses (the local file by default)."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "N:the command's own exit code (128+N when a signal N ended it)",
            "1:no token could be obtained (the command was not started)",
            "2:invalid command line",
            "3:invalid configuration (every problem is listed)",
            "126:the command could not be run (e.g. not executable)",
            "127:the command was not found"
        })
final class ExecCommand implements Callable<Integer> {

    /** The command could not be run, as a shell says it. */
    static final int CANNOT_RUN = 126;
    /** The command was not found, as a shell says it. */
    static final int NOT_FOUND = 127;
    /** The signals a child can be sent on renewal, by name (without SIG). */
    static final Set<String> SIGNALS = Set.of("HUP", "INT", "QUIT", "USR1", "USR2", "TERM", "ALRM", "WINCH", "CONT");
    /** How long the sinks may take to be written before the command starts anyway (they are written from a cached token). */
    private static final Duration SINKS_PATIENCE = Duration.ofSeconds(10);

    @ParentCommand
    TokenkeeperCli parent;

    @Option(names = "--client", paramLabel = "NAME", description = "The client (default: the only one, or 'default').")
    String client;

    @Option(names = "--env", paramLabel = "NAME", defaultValue = "ACCESS_TOKEN",
            description = "The environment variable that holds the token (default ${DEFAULT-VALUE}).")
    String env;

    @Option(names = "--renew-signal", paramLabel = "SIG", description = {"Send this signal (HUP, USR1, USR2, ...) to the",
        "command after each renewal of the token, once the sinks hold the new one."})
    String renewSignal;

    @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
    List<String> command;

    @Override
    public Integer call() throws InterruptedException {
        if (!env.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--env: not an environment variable name: '" + env + "'");
        }
        String renew = renewSignal == null ? null : signalName(renewSignal);
        boolean debugging = parent.debug || "true".equalsIgnoreCase(parent.environment.get(TokenkeeperCli.DEBUG_VARIABLE));
        TokenkeeperCli.setLogLevel(debugging ? Level.DEBUG : parent.verbose ? Level.INFO : Level.WARN);
        TokenkeeperConfig config = TokenkeeperConfig.from(parent.settings());
        TokenSinks sinks = TokenSinks.forConfig(config, InstantSource.system());
        try (Tokenkeeper tk = Tokenkeeper.builder(config).listener(new LoggingEventListener().andThen(sinks)).start();
                sinks) { // closed first: each sink's on-shutdown is honoured while the tokenkeeper still runs
            TokenKey key = TokenkeeperCli.keyOf(tk, client);
            AccessToken token = tk.provider().token(key); // no token: TokenException, exit 1, no child
            ChildHolder child = new ChildHolder();
            if (renew != null) {
                sinks.onRenewal(key, () -> child.signal(renew));
            }
            sinks.start(tk.provider());
            if (sinks.hasSinks() && !sinks.awaitWritten(SINKS_PATIENCE)) {
                System.err.println("tokenkeeper: the token sinks are not all written yet; starting the command anyway");
            }
            ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
            pb.environment().put(env, token.value().reveal());
            try {
                child.process = pb.start();
            } catch (IOException e) {
                boolean missing = e.getMessage() != null && e.getMessage().contains("error=2,");
                System.err.println("tokenkeeper: cannot run " + command.get(0) + " ("
                        + (missing ? "not found" : e.getClass().getSimpleName() + ": " + e.getMessage()) + ")");
                return missing ? NOT_FOUND : CANNOT_RUN;
            }
            try (ForwardedSignals forwarded = ForwardedSignals.install(List.of("TERM", "INT", "HUP"), child::signal)) {
                return awaitExit(child.process);
            }
        }
    }

    /** The child's exit code; an interrupt is passed on as SIGTERM and the wait goes on. */
    private static int awaitExit(Process process) {
        boolean interrupted = false;
        while (true) {
            try {
                int code = process.waitFor(); // Linux reports a child ended by signal N as 128+N, as a shell does
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
                return code;
            } catch (InterruptedException e) {
                interrupted = true;
                process.destroy();
            }
        }
    }

    /** {@code HUP}, {@code SIGHUP}, {@code hup}: {@code HUP}; anything else is a usage error. */
    private String signalName(String given) {
        String s = given.strip().toUpperCase(Locale.ROOT);
        if (s.startsWith("SIG")) {
            s = s.substring(3);
        }
        if (!SIGNALS.contains(s)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--renew-signal: '" + given
                    + "' is not one of " + new java.util.TreeSet<>(SIGNALS));
        }
        return s;
    }

    /** The child, once started, and how it is sent a signal. */
    static final class ChildHolder {
        volatile Process process;

        /** Sends {@code name} (e.g. {@code HUP}) to the child with kill(1); SIGTERM falls back to {@link Process#destroy()}. */
        void signal(String name) {
            Process p = process;
            if (p == null || !p.isAlive()) {
                return;
            }
            try {
                Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid()))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0) {
                    return;
                }
            } catch (IOException e) {
                // no kill(1) on the PATH: below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if ("TERM".equals(name)) {
                p.destroy();
            } else {
                System.err.println("tokenkeeper: could not send SIG" + name + " to the command (pid " + p.pid() + ")");
            }
        }
    }

    /**
     * Signals this process receives, handed to a callback instead of ending the JVM, until
     * {@link #close()} puts the previous handlers back. As {@code ServeCommand.StopSignals}, through
     * {@code sun.misc.Signal} by reflection (the only way in Java 17). A signal this JVM does not
     * let go of keeps its default.
     */
    static final class ForwardedSignals implements AutoCloseable {
        private final Runnable restore;

        private ForwardedSignals(Runnable restore) {
            this.restore = restore;
        }

        static ForwardedSignals install(List<String> names, Consumer<String> forward) {
            try {
                Class<?> signalType = Class.forName("sun.misc.Signal");
                Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
                Method handle = signalType.getMethod("handle", signalType, handlerType);
                Method name = signalType.getMethod("getName");
                Object handler = Proxy.newProxyInstance(handlerType.getClassLoader(), new Class<?>[] {handlerType},
                        (proxy, method, args) -> switch (method.getName()) {
                            case "handle" -> {
                                forward.accept((String) name.invoke(args[0]));
                                yield null;
                            }
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "equals" -> proxy == args[0];
                            default -> "ForwardedSignals";
                        });
                Map<Object, Object> previous = new LinkedHashMap<>();
                for (String n : names) {
                    Object signal = signalType.getConstructor(String.class).newInstance(n);
                    try {
                        previous.put(signal, handle.invoke(null, signal, handler));
                    } catch (InvocationTargetException notThisOne) {
                        // e.g. SIGINT ignored by a non-interactive shell: leave it as it is
                    }
                }
                return new ForwardedSignals(() -> previous.forEach((signal, old) -> {
                    try {
                        handle.invoke(null, signal, old);
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        // best effort: the process is ending
                    }
                }));
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                return new ForwardedSignals(() -> {});
            }
        }

        @Override
        public void close() {
            restore.run();
        }
    }
}
