package dev.tokenkeeper.runnable.cli;

import ch.qos.logback.classic.Level;
import dev.tokenkeeper.bootstrap.persistence.StoreConfig;
import dev.tokenkeeper.bootstrap.persistence.Stores;
import dev.tokenkeeper.domain.ConfigurationException;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code copy}: copies every live entry of one store into another, sealed bytes as they are. No
 * key is involved and nothing is unsealed, in memory or on disk; whoever reads the target later
 * needs the sealing keys that sealed the entries (for a local file store: its {@code sealing.key}).
 */
@Command(
        name = "copy",
        description = {
            "Copy the tokens of one store into another, for migration and backup.",
            "Entries are copied sealed, as they are: nothing is unsealed and no key is",
            "needed here, but whoever reads the target needs the keys that sealed them",
            "(the same TOKENKEEPER_SEALING_KEYS, or the file store's sealing.key).",
            "Entries under the same key in the target are replaced; expired ones are not",
            "copied. A jdbc source's tables are only validated; a jdbc target's too,",
            "unless --apply-schema is given.",
            "",
            "STORE is one of:",
            "  memory:",
            "  file:        the file store in TOKENKEEPER_HOME or ~/.config/tokenkeeper",
            "  file:DIR     the file store in DIR",
            "  jdbc:postgresql://host:5432/db?user=U   or   jdbc:h2:...",
            "  redis://host:6379   or   rediss://...",
            "",
            "Give a store's password with --from-password-env/--from-password-file (and",
            "--to-…), not in the URL: the command line is visible to every user of the host."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every entry was copied (the count is printed)",
            "2:invalid command line",
            "3:a store is misnamed, or its tables are missing or unknown (nothing was copied)",
            "4:a store could not be read or written (the count copied before the failure is printed)"
        })
final class CopyCommand implements Callable<Integer> {

    /** A store failed during the copy. */
    static final int STORE_FAILED = 4;

    @ParentCommand
    TokenkeeperCli parent;

    @Option(names = "--from", required = true, paramLabel = "STORE", description = "The store to read.")
    String from;

    @Option(names = "--to", required = true, paramLabel = "STORE", description = "The store to write.")
    String to;

    @Option(names = "--from-prefix", paramLabel = "PREFIX", description = "The source's table or key prefix (default: the store's).")
    String fromPrefix;

    @Option(names = "--to-prefix", paramLabel = "PREFIX", description = "The target's table or key prefix (default: the store's).")
    String toPrefix;

    @Option(names = "--from-password-env", paramLabel = "NAME", description = "The source's password is in this environment variable.")
    String fromPasswordEnv;

    @Option(names = "--from-password-file", paramLabel = "FILE", description = "The source's password is in this file.")
    String fromPasswordFile;

    @Option(names = "--to-password-env", paramLabel = "NAME", description = "The target's password is in this environment variable.")
    String toPasswordEnv;

    @Option(names = "--to-password-file", paramLabel = "FILE", description = "The target's password is in this file.")
    String toPasswordFile;

    @Option(names = "--apply-schema", description = "Create or upgrade the target's tables first (jdbc; never alters tables it does not know).")
    boolean applySchema;

    @Override
    public Integer call() {
        TokenkeeperCli.setLogLevel(parent.verbose ? Level.INFO : Level.WARN);
        StoreConfig source = StoreOption.parse("--from", from, fromPrefix, fromPasswordEnv, fromPasswordFile, parent.environment);
        StoreConfig target = StoreOption.parse("--to", to, toPrefix, toPasswordEnv, toPasswordFile, parent.environment);
        StoreOption.warnIfPasswordOnCommandLine("--from", from, "--from-password-env");
        StoreOption.warnIfPasswordOnCommandLine("--to", to, "--to-password-env");
        if (source.kind() == target.kind() && Objects.equals(source.url(), target.url())
                && Objects.equals(source.prefix(), target.prefix())) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--from and --to name the same store: " + StoreOption.show(source));
        }
        AtomicInteger copied = new AtomicInteger();
        String shown = " from " + StoreOption.show(source) + " to " + StoreOption.show(target);
        try (Stores.Opened in = Stores.open(source, Stores.Use.SOURCE, InstantSource.system());
                Stores.Opened out = Stores.open(target, applySchema ? Stores.Use.TARGET_APPLYING_SCHEMA : Stores.Use.TARGET,
                        InstantSource.system())) {
            in.store().forEach((key, sealed) -> {
                out.store().save(key, sealed);
                copied.incrementAndGet();
            });
        } catch (ConfigurationException e) {
            throw e;
        } catch (RuntimeException e) {
            System.err.println("tokenkeeper: copy failed after " + copied.get() + " entries: "
                    + StoreOption.describe(e, source, target));
            System.out.println("copied " + copied.get() + " entries" + shown + " before a failure");
            return STORE_FAILED;
        }
        System.out.println("copied " + copied.get() + " entries" + shown);
        return TokenkeeperCli.OK;
    }
}
