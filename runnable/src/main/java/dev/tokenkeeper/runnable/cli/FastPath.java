package dev.tokenkeeper.runnable.cli;

import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.bootstrap.persistence.StoreConfig;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.Freshness;
import dev.tokenkeeper.domain.api.TokenEvent;
import dev.tokenkeeper.domain.api.TokenStatus;
import dev.tokenkeeper.runnable.localstore.CachedToken;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code tokenkeeper token} and {@code status} when the token directory already holds a fresh token
 * for every client asked about: read the sealed file, open the entries, print, and start nothing
 * else (no command-line model, no logging framework, no Vert.x, no manager, no store). Anything
 * else, or any doubt, answers {@link #TAKE_FULL_PATH} and the full command runs, which refreshes,
 * reports and logs as usual.
 *
 * <p>It serves exactly what the full path would serve from the same file: the entry the manager
 * names for that client and key, opened with the same keys, and only while it is fresh by the
 * configured expiry policy without jitter (the earliest point the manager could refresh it), so a
 * token due for refresh always goes through the manager. {@code status} then shows that token as
 * the full path would in a new process (source {@code store}, circuit closed), with the refresh
 * point without jitter. A DPoP client's entries are named with its key's thumbprint as well, which
 * only its endpoint knows, so such a client never finds an entry here and always takes the full path.
 */
final class FastPath {

    /** Not served here: run the full command. */
    static final int TAKE_FULL_PATH = -1;

    private FastPath() {}

    /** Serves {@code args} if they ask about cached tokens that are fresh; otherwise {@link #TAKE_FULL_PATH}. */
    static int run(Map<String, String> environment, String[] args, PrintStream out) {
        return run(environment, args, out, InstantSource.system());
    }

    /** {@link #run(Map, String[], PrintStream)} at the instants of {@code clock}. */
    static int run(Map<String, String> environment, String[] args, PrintStream out, InstantSource clock) {
        Request r = Request.parse(args);
        if (r == null) {
            return TAKE_FULL_PATH;
        }
        try {
            TokenkeeperConfig config = TokenkeeperConfig.from(TokenkeeperCli.settings(r.config, environment));
            if (config.store().kind() != StoreConfig.Kind.FILE) {
                return TAKE_FULL_PATH;
            }
            List<TokenkeeperConfig.ClientConfig> clients = clients(config, r);
            if (clients.isEmpty()) {
                return TAKE_FULL_PATH;
            }
            Optional<CachedToken> cache = CachedToken.in(Path.of(config.store().url()), config.sealingKeys(), config.expiryPolicy());
            if (cache.isEmpty()) {
                return TAKE_FULL_PATH;
            }
            Instant now = clock.instant();
            List<String> lines = new ArrayList<>();
            for (TokenkeeperConfig.ClientConfig client : clients) {
                Optional<AccessToken> token = cache.get().fresh(client.identity(), client.key(), now);
                if (token.isEmpty()) {
                    return TAKE_FULL_PATH;
                }
                AccessToken t = token.get();
                lines.add(switch (r.command) {
                    case "token" -> r.header ? t.tokenType() + " " + t.value().reveal() : t.value().reveal();
                    default -> TokenkeeperCli.StatusCommand.render(new TokenStatus(client.key(), Freshness.FRESH,
                            t.expiresAt(), cache.get().refreshAt(t), TokenStatus.Source.STORE, null),
                            null, TokenEvent.CircuitState.CLOSED, now, r.json);
                });
            }
            lines.forEach(out::println);
            out.flush();
            return out.checkError() ? TAKE_FULL_PATH : TokenkeeperCli.OK;
        } catch (IOException | RuntimeException e) {
            // bad configuration, a refused or unreadable file: the full path says what is wrong
            return TAKE_FULL_PATH;
        }
    }

    /** The clients {@code r} asks about, as the full path picks them; empty if it would refuse. */
    private static List<TokenkeeperConfig.ClientConfig> clients(TokenkeeperConfig config, Request r) {
        if (r.client != null) {
            TokenkeeperConfig.ClientConfig c = config.clients().get(r.client);
            return c == null ? List.of() : List.of(c);
        }
        if (r.command.equals("status")) {
            return config.clientList();
        }
        TokenkeeperConfig.ClientConfig c = config.clients().size() == 1 ? config.clientList().get(0)
                : config.clients().get(Settings.DEFAULT_CLIENT);
        return c == null ? List.of() : List.of(c);
    }

    /**
     * The command lines served here: {@code [--config FILE] token [--client NAME] [--header]} and
     * {@code [--config FILE] status [--client NAME] [--json]}.
     */
    private record Request(String command, Path config, String client, boolean header, boolean json) {

        static Request parse(String[] args) {
            Path config = null;
            int i = 0;
            while (i < args.length && !args[i].equals("token") && !args[i].equals("status")) {
                if (args[i].equals("--config") && i + 1 < args.length) {
                    config = Path.of(args[i + 1]);
                    i += 2;
                } else if (args[i].startsWith("--config=")) {
                    config = Path.of(args[i].substring("--config=".length()));
                    i++;
                } else {
                    return null;
                }
            }
            if (i == args.length) {
                return null;
            }
            String command = args[i];
            String client = null;
            boolean header = false;
            boolean json = false;
            for (i++; i < args.length; i++) {
                if (args[i].equals("--client") && i + 1 < args.length && !args[i + 1].startsWith("-")) {
                    client = args[++i];
                } else if (args[i].startsWith("--client=")) {
                    client = args[i].substring("--client=".length());
                } else if (args[i].equals("--header") && command.equals("token")) {
                    header = true;
                } else if (args[i].equals("--json") && command.equals("status")) {
                    json = true;
                } else {
                    return null;
                }
            }
            return new Request(command, config, client, header, json);
        }
    }
}
