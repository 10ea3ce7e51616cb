package dev.tokenkeeper.runnable.cli;

import dev.tokenkeeper.bootstrap.TokenImport;
import dev.tokenkeeper.bootstrap.Tokenkeeper;
import dev.tokenkeeper.domain.AccessToken;
import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.TokenKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code import}: puts a token pair obtained elsewhere (a login UI, another tool) into the store, as
 * if tokenkeeper had acquired it; later commands serve it and refresh it with its refresh token.
 * The tokens are read from standard input or a file, never from the command line (where every
 * process of the machine could read them).
 */
@Command(
        name = "import",
        description = {
            "Put a token pair obtained elsewhere into the store, from standard input or --file (never",
            "from the command line): JSON with access_token, and optionally refresh_token, expires_in",
            "or expires_at (ISO-8601 or epoch seconds), token_type, scope. Replaces the client's token;",
            "the next `token` serves it, and refreshes it with its refresh token when it comes due."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:imported", "2:invalid command line", "3:invalid configuration or token JSON"})
final class ImportCommand implements Callable<Integer> {

    /** More than this on standard input is not a token pair. */
    private static final int MAX_BYTES = 64 * 1024;

    @ParentCommand
    TokenkeeperCli parent;

    @Option(names = "--client", paramLabel = "NAME", description = "The client (default: the only one, or 'default').")
    String client;

    @Option(names = "--file", paramLabel = "FILE", description = "Read the JSON from this file instead of standard input.")
    Path file;

    /** Standard input; a test may replace it. */
    InputStream stdin = System.in;

    @Override
    public Integer call() {
        String json = read();
        AccessToken token = TokenImport.fromJson(json, Instant.now());
        try (Tokenkeeper tk = parent.start()) {
            TokenKey key = TokenkeeperCli.keyOf(tk, client);
            tk.manager().put(key, token);
            System.out.println("imported a token for client " + key.client() + ": expires_at=" + token.expiresAt()
                    + " refresh_token=" + (token.refreshToken().isPresent() ? "yes" : "no"));
            return TokenkeeperCli.OK;
        }
    }

    private String read() {
        try {
            byte[] bytes;
            if (file != null) {
                if (Files.size(file) > MAX_BYTES) {
                    throw new ConfigurationException("import: " + file + " is larger than " + MAX_BYTES + " bytes");
                }
                bytes = Files.readAllBytes(file);
            } else {
                bytes = stdin.readNBytes(MAX_BYTES + 1);
                if (bytes.length > MAX_BYTES) {
                    throw new ConfigurationException("import: standard input is larger than " + MAX_BYTES + " bytes");
                }
            }
            if (bytes.length == 0) {
                throw new ConfigurationException("import: nothing to import: pipe the token JSON into standard input or "
                        + "give --file");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigurationException("import: cannot read " + (file != null ? file : "standard input") + " ("
                    + e.getClass().getSimpleName() + ")");
        }
    }
}
