package dev.tokenkeeper.adapter.store.jdbc;

import java.util.List;
import java.util.Locale;

/**
 * The names of the store's tables for one schema and prefix, and the placeholder substitution of the
 * schema scripts. Both parts were validated to plain lower-case identifiers, so they are safe to
 * splice into SQL text; that is why no value from outside ever reaches a statement any other way
 * than as a bound parameter.
 *
 * @param schema the schema, or null for the connection's current one
 * @param prefix the table prefix
 */
record Tables(String schema, String prefix) {

    static final String VERSIONS = "schema_version";
    static final String TOKENS = "tokens";
    static final String LEASES = "leases";

    /** Every table the store owns, unqualified, in creation order. */
    List<String> names() {
        return List.of(prefix + VERSIONS, prefix + TOKENS, prefix + LEASES);
    }

    String versions() {
        return qualified(VERSIONS);
    }

    String tokens() {
        return qualified(TOKENS);
    }

    String leases() {
        return qualified(LEASES);
    }

    private String qualified(String table) {
        return schemaDot() + prefix + table;
    }

    private String schemaDot() {
        return schema == null ? "" : schema + ".";
    }

    /** The script text with {@code ${schema}} and {@code ${prefix}} filled in. */
    String render(String script) {
        return script.replace("${schema}", schemaDot()).replace("${prefix}", prefix);
    }

    /** A stable name for this set of tables, for locks and messages. */
    String describe() {
        return (schema == null ? "<current schema>." : schemaDot()) + prefix + "*";
    }

    /** {@code name} as the database stores unquoted identifiers. */
    static String folded(String name, boolean upper) {
        return upper ? name.toUpperCase(Locale.ROOT) : name.toLowerCase(Locale.ROOT);
    }
}
