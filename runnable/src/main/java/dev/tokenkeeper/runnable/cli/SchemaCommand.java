package dev.tokenkeeper.runnable.cli;

import ch.qos.logback.classic.Level;
import dev.tokenkeeper.adapter.store.jdbc.JdbiSchema;
import dev.tokenkeeper.adapter.store.jdbc.JdbiTokenStore;
import dev.tokenkeeper.bootstrap.Settings;
import dev.tokenkeeper.bootstrap.TokenkeeperConfig;
import dev.tokenkeeper.domain.Secret;
import dev.tokenkeeper.runnable.localstore.LocalStore;
import dev.tokenkeeper.runnable.localstore.StoreSpec;
import dev.tokenkeeper.domain.ConfigurationException;
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

        StoreSpec spec(TokenkeeperCli cli, CommandLine cmd) {
            Settings settings = cli.settings();
            String p = prefix != null ? prefix : settings.get("store.prefix");
            String s = store;
            if (s == null) {
                String type = settings.get("store.type");
                if ("jdbc".equalsIgnoreCase(type)) {
                    s = settings.get("store.url") != null ? settings.get("store.url") : cli.environment.get("JDBC_URL");
                } else if ("file".equalsIgnoreCase(type)) {
                    s = "file:" + LocalStore.directory(settings.get("store.path"), cli.environment);
                }
                if (s == null) {
                    throw new CommandLine.ParameterException(cmd, "name the store with --store (the configured store "
                            + "is " + type + ", which has no tables)");
                }
            }
            Secret password = TokenkeeperConfig.secretFromOptions(
                    "--password-env", passwordEnv, "--password-file", passwordFile, cli.environment);
            if (password == null && (s.startsWith("jdbc:") || s.startsWith("redis"))) {
                password = TokenkeeperConfig.storePassword(s.startsWith("jdbc:") ? "jdbc" : "redis", settings);
            }
            StoreSpec spec = StoreSpec.parse("--store", s, p, cli.environment, password);
            if (store != null) {
                CopyCommand.warnIfPasswordOnCommandLine("--store", store, spec, "--password-env");
            }
            if (!spec.type().equals("jdbc") && !spec.type().equals("file")) {
                throw new CommandLine.ParameterException(cmd, spec + " has no tables: only jdbc and file stores do");
            }
            return spec;
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
            return run(schema.parent, target.spec(schema.parent, cmd.commandLine()), StoreSpec.Use.TARGET_APPLYING_SCHEMA, "in place");
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
            StoreSpec spec = target.spec(schema.parent, cmd.commandLine());
            // the local file is made on first use anyway, so checking it means opening (and applying) it
            return run(schema.parent, spec, StoreSpec.Use.TARGET, "OK");
        }
    }

    static int run(TokenkeeperCli cli, StoreSpec spec, StoreSpec.Use use, String verdict) {
        TokenkeeperCli.setLogLevel(cli.verbose ? Level.INFO : Level.WARN);
        try (StoreSpec.Opened opened = spec.open(use)) {
            if (opened.store() instanceof JdbiTokenStore jdbc) {
                JdbiSchema s = jdbc.schema();
                System.out.println("schema version " + s.installedVersion().orElse(0) + " " + verdict + " ("
                        + s.dialect() + "): " + String.join(", ", s.tableNames()) + " in " + spec);
            }
            return TokenkeeperCli.OK;
        } catch (ConfigurationException e) {
            throw e;
        } catch (RuntimeException e) {
            System.err.println("tokenkeeper: schema failed for " + spec + ": " + CopyCommand.describe(e, spec));
            return CopyCommand.STORE_FAILED;
        }
    }
}
