package dev.tokenkeeper.runnable.cli;

import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.domain.TokenException;
import dev.tokenkeeper.domain.TokenKey;
import dev.tokenkeeper.domain.api.TokenStatus;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code revoke}: revokes a client's current token at the identity provider (RFC 7009) and forgets
 * it everywhere. A process with a memory store holds no token when it starts, so this is useful with
 * a persistent store (the token another process left there).
 */
@Command(
        name = "revoke",
        description = {
            "Revoke the client's current token at the identity provider (RFC 7009: the refresh token",
            "too, if any) and forget it in the near cache and the store. Needs",
            "clients.<name>.revocation-url (or OAUTH_REVOCATION_URL). With a persistent store the stored",
            "token is the one revoked; if the store holds none, a token is acquired and revoked."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:revoked (or nothing held: memory store)",
            "1:the identity provider refused or could not be reached (the token is forgotten locally anyway)",
            "3:invalid configuration, or no revocation URL for the client"
        })
final class RevokeCommand implements Callable<Integer> {

    @ParentCommand
    TokenkeeperCli parent;

    @Option(names = "--client", paramLabel = "NAME", description = "The client (default: the only one, or 'default').")
    String client;

    @Override
    public Integer call() {
        try (Tokenkeeper tk = parent.start()) {
            TokenKey key = TokenkeeperCli.keyOf(tk, client);
            TokenkeeperConfig.ClientConfig c = tk.config().clients().get(key.client());
            if (c.revocationUrl() == null) {
                System.err.println("tokenkeeper: clients." + key.client() + ".revocation-url is not set: nothing can be "
                        + "revoked at the identity provider (use `tokenkeeper clear` to forget the token locally)");
                return TokenkeeperCli.BAD_CONFIGURATION;
            }
            if (!tk.store().isPersistent()) {
                System.err.println("tokenkeeper: the memory store holds no token in a new process; nothing to revoke");
                return TokenkeeperCli.OK;
            }
            try {
                tk.provider().token(key); // the stored token, now in the near cache, where revoke finds it
            } catch (TokenException e) {
                System.err.println("tokenkeeper: no token to revoke [" + e.kind() + "]: " + e.getMessage());
                return TokenkeeperCli.NO_TOKEN;
            }
            TokenStatus before = tk.provider().status(key);
            try {
                tk.manager().revoke(key).toCompletableFuture().get(tk.config().resilience().deadline().toMillis() + 5_000,
                        TimeUnit.MILLISECONDS);
            } catch (ExecutionException | CompletionException e) {
                Throwable cause = TokenException.unwrap(e);
                String kind = cause instanceof TokenException te ? te.kind().name() : cause.getClass().getSimpleName();
                System.err.println("tokenkeeper: revocation failed [" + kind + "]; the token was forgotten locally");
                return TokenkeeperCli.NO_TOKEN;
            } catch (TimeoutException e) {
                System.err.println("tokenkeeper: revocation failed [TIMEOUT]; the token was forgotten locally");
                return TokenkeeperCli.NO_TOKEN;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return TokenkeeperCli.NO_TOKEN;
            }
            System.out.println("revoked the token of client " + key.client()
                    + (before.source() == TokenStatus.Source.STORE ? " (from the store)" : " (none was stored: a new one was acquired and revoked)"));
            return TokenkeeperCli.OK;
        }
    }
}
