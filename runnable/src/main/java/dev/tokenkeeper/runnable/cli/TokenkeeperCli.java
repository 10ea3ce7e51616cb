package dev.tokenkeeper.runnable.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.tokenkeeper.application.SealingKeys;
import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.runnable.demo.Demo;
import dev.tokenkeeper.runnable.sidecar.ScopedKeys;
import dev.tokenkeeper.runnable.sidecar.StatusDocument;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.FailureKind;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenStatus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * The {@code tokenkeeper} command.
 *
 * <p>Exit codes: {@value #OK} success; {@value #NO_TOKEN} a token could not be obtained (the IdP
 * refused or could not be reached; the message says which); {@value #USAGE} the command line is
 * wrong; {@value #BAD_CONFIGURATION} the configuration is invalid (every problem is listed).
 * Tokens go to standard output and nothing else does; messages and logs go to standard error.
 */
@Command(
        name = "tokenkeeper",
        mixinStandardHelpOptions = true,
        versionProvider = TokenkeeperCli.Version.class,
        description = {
            "Hands out valid OAuth 2.0 access tokens: acquires, caches, refreshes and shares them.",
            "",
            "Configuration comes from environment variables (OAUTH_TOKEN_URL, OAUTH_CLIENT_ID,",
            "OAUTH_CLIENT_SECRET, OAUTH_SCOPE, OAUTH_AUDIENCE, TOKENKEEPER_*) and an optional",
            "properties file (--config); the environment wins."
        },
        subcommands = {
            TokenkeeperCli.TokenCommand.class,
            TokenkeeperCli.StatusCommand.class,
            RevokeCommand.class,
            ClearCommand.class,
            ImportCommand.class,
            ServeCommand.class,
            ExecCommand.class,
            TokenkeeperCli.DemoCommand.class,
            TokenkeeperCli.ConfigCommand.class,
            CopyCommand.class,
            SchemaCommand.class,
            CommandLine.HelpCommand.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:no token could be obtained (see the message)",
            "2:invalid command line",
            "3:invalid configuration (every problem is listed)"
        })
public final class TokenkeeperCli {

    /** Success. */
    public static final int OK = 0;
    /** No token could be obtained. */
    public static final int NO_TOKEN = 1;
    /** The command line is wrong. */
    public static final int USAGE = 2;
    /** The configuration is invalid. */
    public static final int BAD_CONFIGURATION = 3;
    /** {@code TOKENKEEPER_DEBUG=true} is {@code --debug}. */
    static final String DEBUG_VARIABLE = "TOKENKEEPER_DEBUG";

    @Option(names = "--config", paramLabel = "FILE", description = "A properties file of settings.")
    Path config;

    @Option(names = {"-v", "--verbose"}, description = "Log each acquisition (to standard error).")
    boolean verbose;

    @Option(names = "--debug", description = {"Log every attempt, retry pause, cache and store step (to standard",
        "error), never a secret; also TOKENKEEPER_DEBUG=true."})
    boolean debug;

    Map<String, String> environment = System.getenv();

    /** Runs the command line and exits with its code. */
    public static void main(String[] args) {
        ProviderOrder.preferSunJce(); // before anything asks for a provider: the cached token's one decryption is then cheap
        System.exit(run(System.getenv(), args));
    }

    /** Runs the command line with {@code environment} and returns the exit code. */
    public static int run(Map<String, String> environment, String... args) {
        int served = FastPath.run(environment, args, System.out);
        if (served != FastPath.TAKE_FULL_PATH) {
            return served;
        }
        TokenkeeperCli cli = new TokenkeeperCli();
        cli.environment = environment;
        CommandLine cmd = new CommandLine(cli);
        // exec: everything from the command's name on is the command's (tokenkeeper exec sh -c '...' needs no --)
        cmd.getSubcommands().get("exec").setStopAtPositional(true);
        cmd.setExecutionExceptionHandler((ex, line, parsed) -> {
            PrintWriter err = line.getErr();
            if (ex instanceof ConfigurationException ce) {
                err.println("tokenkeeper: " + ce.getMessage());
                return BAD_CONFIGURATION;
            }
            if (ex instanceof TokenException te) {
                err.println("tokenkeeper: no token [" + te.kind() + "]: " + te.getMessage());
                return NO_TOKEN;
            }
            if (ex instanceof UnknownClientException uc) {
                err.println("tokenkeeper: " + uc.getMessage());
                return USAGE;
            }
            throw ex;
        });
        return cmd.execute(args);
    }

    Tokenkeeper start() {
        boolean debugging = debug || "true".equalsIgnoreCase(environment.get(DEBUG_VARIABLE));
        setLogLevel(debugging ? Level.DEBUG : verbose ? Level.INFO : Level.WARN);
        return Tokenkeeper.start(TokenkeeperConfig.from(settings()));
    }

    /**
     * The settings, where the store defaults to the local file ({@code store.type=file}) so that a
     * token outlives the command; the library's own default stays memory.
     */
    Settings settings() {
        return settings(config, environment);
    }

    static Settings settings(Path config, Map<String, String> environment) {
        return Settings.load(config, environment).withDefault("store.type", "file", "the command line's default");
    }

    /**
     * The settings of {@code serve}, where the store stays the library's default (memory): a
     * sidecar keeps its tokens in its own memory unless a shared store is configured.
     */
    Settings serveSettings() {
        return Settings.load(config, environment);
    }

    static void setLogLevel(Level level) {
        if (LoggerFactory.getLogger("dev.tokenkeeper") instanceof Logger l) {
            l.setLevel(level);
        }
    }

    static TokenKey keyOf(Tokenkeeper tk, String client) {
        try {
            return client == null ? tk.defaultKey() : tk.key(client);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new UnknownClientException(e.getMessage());
        }
    }

    /** The key of {@code client}, or of every configured client when it is null. */
    static List<TokenKey> keysOf(Tokenkeeper tk, String client) {
        return client != null ? List.of(keyOf(tk, client)) : tk.config().clientList().stream().map(c -> c.key()).toList();
    }

    /** {@code --client} names no configured client, or several are configured and none was named. */
    static final class UnknownClientException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnknownClientException(String message) {
            super(message, null, false, false);
        }
    }

    /** {@code token}: prints a valid access token, for scripts. */
    @Command(name = "token", description = "Print a valid access token to standard output (nothing else).")
    static final class TokenCommand implements Callable<Integer> {
        @ParentCommand
        TokenkeeperCli parent;

        @Option(names = "--client", paramLabel = "NAME", description = "The client (default: the only one, or 'default').")
        String client;

        @Option(names = "--header", description = "Print an Authorization header value: '<type> <token>'.")
        boolean header;

        @Option(names = "--scope", paramLabel = "SCOPES", description = {"Ask for these scopes (space- or comma-separated)",
            "instead of the client's configured ones; each set of scopes has a token (and a cache entry) of its own."})
        String scope;

        @Override
        public Integer call() {
            try (Tokenkeeper tk = parent.start()) {
                TokenKey key;
                try {
                    key = ScopedKeys.withScope(keyOf(tk, client), scope);
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(new CommandLine(this), "--scope: " + e.getMessage());
                }
                AccessToken t;
                try {
                    t = tk.provider().token(key);
                } catch (TokenException e) {
                    // issue 12: the client's API key, only when no token can be had (a WARN and an event each time)
                    var fallback = tk.fallback(key, e).orElseThrow(() -> e);
                    String apiKey = fallback.key().current().reveal();
                    System.out.println(header ? fallback.header() + ": " + apiKey : apiKey);
                    return OK;
                }
                System.out.println(header ? t.tokenType() + " " + t.value().reveal() : t.value().reveal());
                return OK;
            }
        }
    }

    /** {@code status}: what each client's token is doing, never the token itself. */
    @Command(name = "status", description = "Show, per client, whether a valid token can be had and when it expires (never the token).")
    static final class StatusCommand implements Callable<Integer> {
        @ParentCommand
        TokenkeeperCli parent;

        @Option(names = "--client", paramLabel = "NAME", description = "Only this client.")
        String client;

        @Option(names = "--json", description = {"One JSON object per client, one per line, in the shape of the",
            "sidecar's /auth/status: client, has_token, expires_at, expires_in_seconds, is_valid,",
            "refresh_at, freshness, source, last_error, circuit, is_expired, needs_refresh."})
        boolean json;

        @Override
        public Integer call() {
            int code = OK;
            try (Tokenkeeper tk = parent.start()) {
                for (TokenKey key : keysOf(tk, client)) {
                    FailureKind error = null;
                    try {
                        tk.provider().token(key);
                    } catch (TokenException e) {
                        error = e.kind();
                        code = NO_TOKEN;
                    }
                    System.out.println(render(tk.provider().status(key), error,
                            tk.manager().circuitState(key.client()), Instant.now(), json));
                }
            }
            return code;
        }

        /**
         * One client's line. {@code error}, the failure this command just saw, wins over the
         * manager's last error (a caller's own timeout is not recorded there).
         */
        static String render(TokenStatus s, FailureKind error, TokenEvent.CircuitState circuit, Instant now, boolean json) {
            TokenStatus shown = error == null ? s
                    : new TokenStatus(s.key(), s.freshness(), s.expiresAt(), s.refreshAt(), s.source(), error);
            Map<String, Object> doc = StatusDocument.fields(shown, circuit, now);
            if (json) {
                return StatusDocument.encode(doc);
            }
            return String.format("%-16s has_token=%-5s valid=%-5s expires_at=%s expires_in=%ss refresh_at=%s freshness=%s source=%s circuit=%s%s",
                    doc.get("client"), doc.get("has_token"), doc.get("is_valid"),
                    doc.get("expires_at"), doc.get("expires_in_seconds"), doc.get("refresh_at"),
                    doc.get("freshness"),
                    doc.get("source"), doc.get("circuit"),
                    doc.get("last_error") == null ? "" : " error=" + doc.get("last_error"));
        }
    }

    /** {@code demo}: the main job on embedded defaults. */
    @Command(name = "demo", description = "Run tokenkeeper against an in-process loopback IdP and report what happened.")
    static final class DemoCommand implements Callable<Integer> {
        @ParentCommand
        TokenkeeperCli parent;

        @Option(names = "--callers", defaultValue = "16", description = "Concurrent callers (default ${DEFAULT-VALUE}).")
        int callers;

        @Option(names = "--seconds", defaultValue = "12", description = "How long they call (default ${DEFAULT-VALUE}).")
        int seconds;

        @Option(names = "--lifetime", defaultValue = "4", description = "Token lifetime in seconds (default ${DEFAULT-VALUE}).")
        int lifetime;

        @Option(names = "--latency-ms", defaultValue = "50", description = "IdP answer time (default ${DEFAULT-VALUE}).")
        int latencyMs;

        @Option(names = "--outage-ms", defaultValue = "1500", description = "IdP outage (503) in the middle; 0 for none (default ${DEFAULT-VALUE}).")
        int outageMs;

        @Override
        public Integer call() throws Exception {
            if (callers < 1 || callers > 512 || seconds < 1 || seconds > 600 || lifetime < 2 || lifetime > 3600
                    || latencyMs < 0 || outageMs < 0) {
                throw new CommandLine.ParameterException(new CommandLine(this),
                        "out of range: --callers 1..512, --seconds 1..600, --lifetime 2..3600, --latency-ms and --outage-ms >= 0");
            }
            setLogLevel(parent.verbose ? Level.INFO : Level.WARN);
            Demo.Result r = Demo.run(new Demo.Options(callers, Duration.ofSeconds(seconds), Duration.ofSeconds(lifetime),
                    Duration.ofMillis(latencyMs), Duration.ofMillis(outageMs)), System.out);
            return r.failedCalls() == 0 && r.expiredServed() == 0 ? OK : NO_TOKEN;
        }
    }

    /** {@code config}: check the configuration, or make a sealing key. */
    @Command(name = "config", description = "Check the configuration or generate a sealing key.",
            subcommands = {ConfigCommand.Check.class, ConfigCommand.Keygen.class})
    static final class ConfigCommand {
        @ParentCommand
        TokenkeeperCli parent;

        /** {@code config check}. */
        @Command(name = "check", description = "Validate the configuration; list every problem; print a summary without secrets.")
        static final class Check implements Callable<Integer> {
            @ParentCommand
            ConfigCommand config;

            @Override
            public Integer call() {
                TokenkeeperCli cli = config.parent;
                // every section, the sidecar's too, so that one run lists every problem
                TokenkeeperConfig c = TokenkeeperConfig.from(cli.settings()); // the store the other commands use
                // serve defaults to another store than the other commands: show what each really uses
                TokenkeeperConfig served = c.withStore(TokenkeeperConfig.storeConfig(cli.serveSettings()));
                for (TokenkeeperConfig.ClientConfig client : c.clientList()) {
                    System.out.printf("client %s: %s client-id=%s auth=%s scopes=%s grant=%s%s%n", client.name(),
                            client.tokenUrl() != null ? "token-url=" + client.tokenUrl() : "issuer=" + client.auth().issuer(),
                            client.clientId(), client.authMethod(), client.scopes(), client.grant().grantType(),
                            client.dpop() == null ? "" : " dpop-jkt=" + client.dpop().thumbprint());
                }
                if (served.store().equals(c.store())) {
                    printStore("every command", c);
                } else {
                    printStore("token, status, revoke, clear, schema", c);
                    printStore("serve", served);
                }
                System.out.printf("refresh: %s, proactive=%s%n", c.expiryPolicy(), c.proactiveRefresh());
                System.out.printf("cache: maximum-keys=%s, idle-timeout=%s%n",
                        c.cache().maximumKeys() == Integer.MAX_VALUE ? "unbounded" : c.cache().maximumKeys(), c.cache().idleTimeout());
                System.out.println(c.sidecar().describe());
                c.proxies().routes().values().forEach(r -> System.out.println(r.describe()));
                c.sinks().values().forEach(sink -> System.out.println(sink.describe())); // issue 13
                System.out.println("configuration OK");
                return OK;
            }
        }

        private static void printStore(String commands, TokenkeeperConfig c) {
            System.out.printf("store (%s): %s%n", commands, c.store());
            System.out.printf("sealing keys (%s): %s%n", commands, c.sealingKeys() != null ? c.sealingKeys()
                    : "file".equals(c.store().type()) ? "the key file " + c.store().url() + "/sealing.key (made on first use)"
                    : "ephemeral (memory store)");
        }

        /** {@code config keygen}. */
        @Command(name = "keygen", description = "Print a new AES-256 sealing key as id:base64 (for TOKENKEEPER_SEALING_KEYS).")
        static final class Keygen implements Callable<Integer> {
            @Option(names = "--id", defaultValue = "k1", description = "The key id (default ${DEFAULT-VALUE}).")
            String id;

            @Override
            public Integer call() {
                System.out.println(SealingKeys.generateSpec(id));
                return OK;
            }
        }
    }

    /** Reads the version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = TokenkeeperCli.class.getPackage().getImplementationVersion();
            return new String[] {"tokenkeeper " + (v == null ? "(development build)" : v)};
        }
    }
}
