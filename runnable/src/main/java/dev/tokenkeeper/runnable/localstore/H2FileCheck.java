package dev.tokenkeeper.runnable.localstore;

import dev.tokenkeeper.domain.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.h2.mvstore.tx.VersionedValueType;
import org.h2.mvstore.type.LongDataType;
import org.h2.result.RowFactory;
import org.h2.result.SearchRow;
import org.h2.result.SortOrder;
import org.h2.value.CompareMode;
import org.h2.value.TypeInfo;
import org.h2.value.VersionedValue;

/**
 * Looks inside an H2 database file before H2 opens it, without SQL and without running anything.
 *
 * <h2>Why</h2>
 * Opening an H2 database executes the schema statements stored in it: a trigger or function given
 * as Java source is compiled and run, a trigger, table engine or serializer given as a class name
 * is instantiated, a linked table connects somewhere. A token file from a backup, another machine
 * or another user must never run code, so before H2 sees a file, this reads the file's schema
 * records with H2's storage layer only (the {@code MVStore}, which runs no SQL and loads no class
 * named in the file: the record layout is fixed here, not read from the file) and accepts nothing
 * but the tables, primary keys and indexes the JDBC store's H2 script makes (under any valid table
 * prefix), its user and the build setting. Every other object — triggers, functions, aggregates,
 * domains, constants, sequences, schemas, views, linked tables, other settings, rights, comments,
 * tables with other columns, defaults, checks or engines — is refused.
 *
 * <p>Both the committed and any uncommitted version of each record are checked, which covers what
 * H2 would execute whatever state a previous writer left the file in. Between this check and H2's
 * open the file is not locked; only the owner (the directory is theirs and 0700) could change it then.
 *
 * <p>Tied to H2's 2.x file layout and to the statements H2 writes for the V1 script; a new script
 * version or H2 release that writes other statements makes this refuse files it would accept,
 * which the tests of a fresh store notice at once.
 */
final class H2FileCheck {

    /** What the check found. */
    enum Kind {
        /** Only objects of the store, or nothing at all yet. */
        CLEAN,
        /** Another process holds the file. */
        IN_USE,
        /** Not readable as an H2 file (damaged, or not H2's). */
        UNREADABLE,
        /** It holds an object tokenkeeper never makes. */
        FOREIGN
    }

    /**
     * The finding.
     *
     * @param kind what was found
     * @param detail for UNREADABLE and FOREIGN, what: free of the file's SQL text, safe to print
     */
    record Finding(Kind kind, String detail) {}

    /** DbObject's type numbers as H2 stores them in its schema records. */
    private static final Map<Integer, String> TYPES = Map.ofEntries(
            Map.entry(0, "a table or view"), Map.entry(1, "an index"), Map.entry(2, "a user"),
            Map.entry(3, "a sequence"), Map.entry(4, "a trigger"), Map.entry(5, "a constraint"),
            Map.entry(6, "a setting"), Map.entry(7, "a role"), Map.entry(8, "a right"),
            Map.entry(9, "a user-defined function (alias)"), Map.entry(10, "a schema"), Map.entry(11, "a constant"),
            Map.entry(12, "a domain"), Map.entry(13, "a comment"), Map.entry(14, "a user-defined aggregate"),
            Map.entry(15, "a synonym"));

    private static final String ID = "\"[A-Z0-9_]{1,128}\"";

    /** What H2 writes for each statement of the H2 script, V1 (see schema/h2/V1__tokens_and_leases.sql). */
    private static final Map<Integer, List<Pattern>> ALLOWED = Map.of(
            6, List.of(Pattern.compile("SET CREATE_BUILD [0-9]{1,9}")),
            // any user name (a jdbc:h2 URL's, "" by default); a quote in it would need escaping and is refused
            2, List.of(Pattern.compile("CREATE USER IF NOT EXISTS \"[^\"]{0,128}\" SALT '[0-9a-f]{0,64}' HASH '[0-9a-f]{0,128}'( ADMIN)?")),
            0, List.of(
                    table("SCHEMA_VERSION\"(\n"
                            + "    \"VERSION\" INTEGER NOT NULL,\n"
                            + "    \"DESCRIPTION\" CHARACTER VARYING(200) NOT NULL,\n"
                            + "    \"APPLIED_AT\" TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL\n"
                            + ")"),
                    table("TOKENS\"(\n"
                            + "    \"STORE_KEY\" CHARACTER VARYING(128) NOT NULL,\n"
                            + "    \"SEALED\" BINARY VARYING(1048576) NOT NULL,\n"
                            + "    \"EXPIRES_EPOCH_SECOND\" BIGINT NOT NULL,\n"
                            + "    \"EXPIRES_NANO\" INTEGER NOT NULL,\n"
                            + "    \"VERSION\" BIGINT NOT NULL\n"
                            + ")"),
                    table("LEASES\"(\n"
                            + "    \"STORE_KEY\" CHARACTER VARYING(128) NOT NULL,\n"
                            + "    \"OWNER\" CHARACTER VARYING(64) NOT NULL,\n"
                            + "    \"LEASE_UNTIL\" BIGINT NOT NULL\n"
                            + ")")),
            1, List.of(
                    Pattern.compile("CREATE PRIMARY KEY \"PUBLIC\"." + ID + " ON \"PUBLIC\"." + ID + "\\(" + ID + "\\)"),
                    Pattern.compile("CREATE INDEX \"PUBLIC\"." + ID + " ON \"PUBLIC\"." + ID + "\\(" + ID + " NULLS FIRST\\)")),
            5, List.of(Pattern.compile("ALTER TABLE \"PUBLIC\"." + ID + " ADD CONSTRAINT \"PUBLIC\"." + ID
                    + " PRIMARY KEY\\(" + ID + "\\) INDEX \"PUBLIC\"." + ID)));

    /** The schema table's columns: ID, HEAD, TYPE, SQL (Database.createSysTableData). */
    private static final int TYPE_COLUMN = 2;
    private static final int SQL_COLUMN = 3;
    private static final String SCHEMA_MAP = "table.0";

    private H2FileCheck() {}

    /** Inspects {@code file} (the {@code .mv.db}); an absent or empty file is clean. */
    static Finding inspect(Path file) {
        try {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) == 0) {
                return new Finding(Kind.CLEAN, null);
            }
        } catch (IOException e) {
            return new Finding(Kind.UNREADABLE, e.getClass().getSimpleName());
        }
        try (MVStore store = new MVStore.Builder().fileName(file.toAbsolutePath().toString()).readOnly().open()) {
            if (!store.hasMap(SCHEMA_MAP)) {
                return store.getMapNames().isEmpty()
                        ? new Finding(Kind.CLEAN, null)
                        : new Finding(Kind.UNREADABLE, "no schema table");
            }
            List<String> foreign = new ArrayList<>();
            for (VersionedValue<SearchRow> v : schemaTable(store).values()) {
                check(v.getCommittedValue(), foreign);
                check(v.getCurrentValue(), foreign);
            }
            return foreign.isEmpty()
                    ? new Finding(Kind.CLEAN, null)
                    : new Finding(Kind.FOREIGN, String.join(", ", foreign.stream().distinct().toList()));
        } catch (MVStoreException e) {
            return e.getErrorCode() == DataUtils.ERROR_FILE_LOCKED
                    ? new Finding(Kind.IN_USE, null)
                    : new Finding(Kind.UNREADABLE, "H2 storage error " + e.getErrorCode());
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            // a crafted file may make the decoder fail in any way: it is then not a file to open
            return new Finding(Kind.UNREADABLE, e.getClass().getSimpleName());
        }
    }

    /**
     * Checks the local database file a {@code jdbc:h2:} URL names, if it exists, before H2 opens it.
     * In-memory and remote ({@code tcp:}, {@code ssl:}) databases are not files of this process.
     *
     * @throws ConfigurationException if the file holds anything tokenkeeper never creates, cannot be
     *     read as an H2 file, or the URL names a file in a form that cannot be checked
     */
    static void requireSafe(String jdbcUrl) {
        Optional<Path> file = databaseFile(jdbcUrl);
        if (file.isEmpty()) {
            return;
        }
        Finding f = inspect(file.get());
        switch (f.kind()) {
            case FOREIGN -> throw new ConfigurationException("the H2 database " + file.get() + " holds " + f.detail()
                    + ", which tokenkeeper never creates; it is not opened, since opening it would run what it holds");
            case UNREADABLE -> throw new ConfigurationException("the H2 database " + file.get()
                    + " cannot be read as an H2 file (" + f.detail() + "); it is not opened");
            default -> { } // in use: H2 itself reports that
        }
    }

    /** The {@code .mv.db} file of a local H2 URL; empty for memory and remote databases. */
    static Optional<Path> databaseFile(String jdbcUrl) {
        String rest = jdbcUrl.substring("jdbc:h2:".length());
        int semicolon = rest.indexOf(';');
        String name = semicolon < 0 ? rest : rest.substring(0, semicolon);
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.startsWith("mem:") || lower.startsWith("tcp:") || lower.startsWith("ssl:")) {
            return Optional.empty();
        }
        for (String local : List.of("file:", "nio:", "async:")) {
            if (lower.startsWith(local)) {
                name = name.substring(local.length());
                lower = lower.substring(local.length());
            }
        }
        if (lower.matches("[a-z]{2,}:.*")) {
            throw new ConfigurationException("the H2 URL names its database in a form tokenkeeper cannot check before "
                    + "opening it; use jdbc:h2:file:/absolute/path");
        }
        if (name.startsWith("~")) {
            name = System.getProperty("user.home") + name.substring(1);
        }
        return Optional.of(Path.of(name + ".mv.db").toAbsolutePath().normalize());
    }

    private static void check(SearchRow row, List<String> foreign) {
        if (row == null) {
            return;
        }
        int type = row.getValue(TYPE_COLUMN).getInt();
        String sql = row.getValue(SQL_COLUMN).getString();
        List<Pattern> allowed = ALLOWED.getOrDefault(type, List.of());
        if (sql == null || allowed.stream().noneMatch(p -> p.matcher(sql).matches())) {
            foreign.add(TYPES.getOrDefault(type, "an object of unknown type " + type) + name(sql));
        }
    }

    /** The object's name, if the statement shows one plainly (quoted identifiers only), for the message. */
    private static String name(String sql) {
        if (sql == null) {
            return "";
        }
        var m = Pattern.compile("^[A-Z ]{1,60}?(?:IF NOT EXISTS )?(?:\"[A-Z0-9_]{1,64}\"\\.)?\"([A-Za-z0-9_]{1,64})\"").matcher(sql);
        return m.find() ? " \"" + m.group(1) + "\"" : "";
    }

    /** The schema table, read with the layout H2 gives it, not with types named in the file. */
    private static MVMap<Long, VersionedValue<SearchRow>> schemaTable(MVStore store) {
        TypeInfo[] columns = {TypeInfo.TYPE_INTEGER, TypeInfo.TYPE_INTEGER, TypeInfo.TYPE_INTEGER, TypeInfo.TYPE_VARCHAR};
        int[] sortTypes = new int[columns.length];
        Arrays.fill(sortTypes, SortOrder.ASCENDING);
        RowFactory rows = RowFactory.getDefaultRowFactory().createRowFactory(null, CompareMode.getInstance(null, 0), null,
                sortTypes, null, columns, columns.length, false);
        return store.openMap(SCHEMA_MAP, new MVMap.Builder<Long, VersionedValue<SearchRow>>()
                .keyType(LongDataType.INSTANCE)
                .valueType(new VersionedValueType<SearchRow, Object>(rows.getRowDataType())));
    }

    /** A table of the store under any valid prefix: {@code rest} is the name after the prefix and the columns, verbatim. */
    private static Pattern table(String rest) {
        return Pattern.compile(Pattern.quote("CREATE CACHED TABLE \"PUBLIC\".\"") + "[A-Z][A-Z0-9_]{0,39}" + Pattern.quote(rest));
    }
}
