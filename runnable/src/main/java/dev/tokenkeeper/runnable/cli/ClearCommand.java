package dev.tokenkeeper.runnable.cli;

import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.spi.StoreKey;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code clear}: forgets tokens locally (near cache and store) without contacting the identity provider. */
@Command(
        name = "clear",
        description = {
            "Forget the token of one client, or of every configured client, in the near cache and the",
            "store, without contacting the identity provider (see `revoke` for that). The next `token`",
            "acquires a new one."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:cleared",
            "1:the store could not be reached: nothing may have been cleared",
            "3:invalid configuration"
        })
final class ClearCommand implements Callable<Integer> {

    private static final StoreKey PROBE = new StoreKey("tokenkeeper-clear-probe");

    @ParentCommand
    TokenkeeperCli parent;

    @Option(names = "--client", paramLabel = "NAME", description = "Only this client (default: every configured client).")
    String client;

    @Override
    public Integer call() {
        try (Tokenkeeper tk = parent.start()) {
            List<TokenKey> keys = TokenkeeperCli.keysOf(tk, client);
            try {
                tk.store().load(PROBE); // the manager swallows store failures on delete; find out first
            } catch (RuntimeException e) {
                System.err.println("tokenkeeper: the store cannot be reached (" + e.getClass().getSimpleName()
                        + "); nothing was cleared");
                return TokenkeeperCli.NO_TOKEN;
            }
            for (TokenKey key : keys) {
                tk.provider().invalidate(key);
                System.out.println("cleared client " + key.client());
            }
            return TokenkeeperCli.OK;
        }
    }
}
