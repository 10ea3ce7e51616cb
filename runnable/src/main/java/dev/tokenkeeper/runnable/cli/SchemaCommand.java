package dev.tokenkeeper.runnable.cli;

import ch.qos.logback.classic.Level;
import dev.tokenkeeper.adapter.store.jdbc.JdbiSchema;
import dev.tokenkeeper.adapter.store.jdbc.JdbiTokenStore;
import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.bootstrap.persistence.StoreConfig;
import dev.tokenkeeper.bootstrap.persistence.Stores;
import dev.tokenkeeper.domain.ConfigurationException;
import java.time.InstantSource;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code schema apply} and {@code schema check}: the tables of a JDBC (or the local file) store,
 * made or checked when the operator says so. Tables this library does not know are refused, never
 * altered (see {@link JdbiSchema}).
 */
@Command(
        name = "schema",
        description = "Create (apply) or check the tables of a jdbc store; tables it does not know are refused, never altered.",
        subcommands = {SchemaCommand.Apply.class, SchemaCommand.Check.class})
final class SchemaCommand {

    @ParentCommand
    TokenkeeperCli parent;

    /** The options both subcommands take. */
    static final class Target {
        @Option(names = "--store", paramLabel = "STORE", description = {
            "jdbc:postgresql://..., jdbc:h2:... or file:[DIR] (default: the configured",
            "store: store.type=jdbc with store.url or JDBC_URL, or store.type=file)."})
        String store;

        @Option(names = "--password-env", paramLabel = "NAME", description = {
            "The store's password is in this environment variable (default: the",
            "configured store.password-env, TOKENKEEPER_STORE_PASSWORD(_FILE))."})
        String passwordEnv;

        @Option(names = "--password-file", paramLabel = "FILE", description = "The store's password is in this file.")
        String passwordFile;

        @Option(names = "--prefix", paramLabel = "PREFIX", description = "The table prefix (default: store.prefix, else tokenkeeper_).")
        String prefix;

        /**
         * The store named with {@code --store}, else the configured one; {@code --prefix} and the
         * password options override the configured ones.
         */
        StoreConfig store(TokenkeeperCli cli, CommandLine cmd) {
            StoreConfig s;
            if (store != null) {
                s = StoreOption.parse("--store", store, prefix, passwordEnv, passwordFile, cli.environment);
                StoreOption.warnIfPasswordOnCommandLine("--store", store, "--password-env");
            } else {
                Settings settings = cli.settings();
                if (prefix != null) {
                    settings = settings.with("store.prefix", prefix, "the option --prefix");
                }
                if (passwordEnv != null || passwordFile != null) {
                    settings = settings.without("store.password", "store.password-env", "store.password-file");
                    if (passwordEnv != null) {
                        settings = settings.with("store.password-env", passwordEnv, "the option --password-env");
                    }
                    if (passwordFile != null) { // both given: the parser says to give only one
                        settings = settings.with("store.password-file", passwordFile, "the option --password-file");
                    }
                }
                s = TokenkeeperConfig.storeConfig(settings);
            }
            if (s.kind() != StoreConfig.Kind.JDBC && s.kind() != StoreConfig.Kind.FILE) {
                throw new CommandLine.ParameterException(cmd, store == null
                        ? "name the store with --store (the configured store is " + s.type() + ", which has no tables)"
                        : StoreOption.show(s) + " has no tables: only jdbc and file stores do");
            }
            return s;
        }
    }

    /** {@code schema apply}. */
    @Command(name = "apply", description = "Create or upgrade the store's tables; does nothing when they are in place.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:the tables are in place", "2:invalid command line",
                "3:tables are there that this library does not know (nothing was changed)", "4:the database failed"})
    static final class Apply implements Callable<Integer> {
        @ParentCommand
        SchemaCommand schema;

        @CommandLine.Mixin
        Target target;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec cmd;

        @Override
        public Integer call() {
            return run(schema.parent, target.store(schema.parent, cmd.commandLine()), Stores.Use.TARGET_APPLYING_SCHEMA, "in place");
        }
    }

    /** {@code schema check}. */
    @Command(name = "check", description = "Check that the store's tables exist at the version this library needs; change nothing.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:the tables are as needed", "2:invalid command line",
                "3:the tables are missing, older, newer or unknown", "4:the database failed"})
    static final class Check implements Callable<Integer> {
        @ParentCommand
        SchemaCommand schema;

        @CommandLine.Mixin
        Target target;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec cmd;

        @Override
        public Integer call() {
            StoreConfig store = target.store(schema.parent, cmd.commandLine());
            // the local file is made on first use anyway, so checking it means opening (and applying) it
            return run(schema.parent, store, Stores.Use.TARGET, "OK");
        }
    }

    static int run(TokenkeeperCli cli, StoreConfig store, Stores.Use use, String verdict) {
        TokenkeeperCli.setLogLevel(cli.verbose ? Level.INFO : Level.WARN);
        try (Stores.Opened opened = Stores.open(store, use, InstantSource.system())) {
            if (opened.store() instanceof JdbiTokenStore jdbc) {
                JdbiSchema s = jdbc.schema();
                System.out.println("schema version " + s.installedVersion().orElse(0) + " " + verdict + " ("
                        + s.dialect() + "): " + String.join(", ", s.tableNames()) + " in " + StoreOption.show(store));
            }
            return TokenkeeperCli.OK;
        } catch (ConfigurationException e) {
            throw e;
        } catch (RuntimeException e) {
            System.err.println("tokenkeeper: schema failed for " + StoreOption.show(store) + ": " + StoreOption.describe(e, store));
            return CopyCommand.STORE_FAILED;
        }
    }
}
