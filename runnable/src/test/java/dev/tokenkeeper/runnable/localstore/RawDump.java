package dev.tokenkeeper.runnable.localstore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What an attacker holding the files sees: every row of every table, and the raw bytes of the files. */
final class RawDump {

    private RawDump() {}

    /** Opens the local store's database read-only (after the CLI processes have ended). */
    static Connection open(Path dir) throws SQLException {
        return DriverManager.getConnection(LocalStore.jdbcUrl(dir) + ";ACCESS_MODE_DATA=r", LocalStore.user(), "");
    }

    /** {@code SELECT *} of every table of the PUBLIC schema, each value rendered as text, hex and base64. */
    static String selectEverything(Path dir) {
        if (sealedFile(dir)) {
            return sealedEverything(dir);
        }
        StringBuilder sb = new StringBuilder();
        try (Connection c = open(dir); Statement st = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = st.executeQuery(
                    "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'PUBLIC'")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            if (tables.isEmpty()) {
                throw new AssertionError("no table in " + dir);
            }
            for (String t : tables) {
                try (ResultSet rs = st.executeQuery("SELECT * FROM \"" + t + "\"")) {
                    ResultSetMetaData md = rs.getMetaData();
                    while (rs.next()) {
                        sb.append(t).append(':');
                        for (int i = 1; i <= md.getColumnCount(); i++) {
                            Object v = rs.getObject(i);
                            if (v instanceof byte[] b) {
                                sb.append(' ').append(new String(b, StandardCharsets.ISO_8859_1))
                                        .append(' ').append(HexFormat.of().formatHex(b))
                                        .append(' ').append(Base64.getEncoder().encodeToString(b));
                            } else {
                                sb.append(' ').append(v);
                            }
                        }
                        sb.append('\n');
                    }
                }
            }
        } catch (SQLException e) {
            throw new AssertionError("cannot read " + dir, e);
        }
        return sb.toString();
    }

    /** The sealed bytes of the only token entry (row of the database, or entry of the sealed file). */
    static byte[] sealed(Path dir) {
        if (sealedFile(dir)) {
            List<byte[]> all = new ArrayList<>();
            sealedStore(dir).forEach((k, t) -> all.add(t.bytes()));
            if (all.size() != 1) {
                throw new AssertionError(all.size() + " token entries in " + dir + ", expected one");
            }
            return all.get(0);
        }
        try (Connection c = open(dir); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT sealed FROM tokenkeeper_tokens")) {
            if (!rs.next()) {
                throw new AssertionError("no token row in " + dir);
            }
            byte[] b = rs.getBytes(1);
            if (rs.next()) {
                throw new AssertionError("more than one token row in " + dir);
            }
            return b;
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    static void setSealed(Path dir, byte[] bytes) {
        if (sealedFile(dir)) {
            SealedFileStore store = sealedStore(dir);
            List<dev.tokenkeeper.domain.spi.StoreKey> keys = new ArrayList<>();
            List<java.time.Instant> expiries = new ArrayList<>();
            store.forEach((k, t) -> {
                keys.add(k);
                expiries.add(t.expiresAt());
            });
            if (keys.size() != 1) {
                throw new AssertionError("expected one token entry in " + dir);
            }
            store.save(keys.get(0), new dev.tokenkeeper.domain.spi.SealedToken(bytes, expiries.get(0)));
            return;
        }
        try (Connection c = DriverManager.getConnection(LocalStore.jdbcUrl(dir), LocalStore.user(), "");
                var ps = c.prepareStatement("UPDATE tokenkeeper_tokens SET sealed = ?")) {
            ps.setBytes(1, bytes);
            if (ps.executeUpdate() != 1) {
                throw new AssertionError("expected one token row in " + dir);
            }
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    /** Whether the directory holds the sealed token file (the default) rather than an H2 database. */
    static boolean sealedFile(Path dir) {
        return Files.exists(dir.resolve(SealedFileStore.FILE_NAME));
    }

    private static SealedFileStore sealedStore(Path dir) {
        try {
            return SealedFileStore.open(dir, java.time.InstantSource.system(), SealedFileStore.DEFAULT_LOCK_WAIT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every entry of the sealed file, as {@code tokens:} and {@code leases:} lines, bytes as text, hex and base64. */
    private static String sealedEverything(Path dir) {
        StringBuilder sb = new StringBuilder();
        sealedStore(dir).forEach((k, t) -> {
            byte[] b = t.bytes();
            sb.append("tokens: ").append(k).append(' ').append(new String(b, StandardCharsets.ISO_8859_1))
                    .append(' ').append(HexFormat.of().formatHex(b))
                    .append(' ').append(Base64.getEncoder().encodeToString(b))
                    .append(' ').append(t.expiresAt()).append('\n');
        });
        return sb.toString();
    }

    /** Every file of the directory, its bytes read as Latin-1 so that any ASCII in it shows. */
    static String files(Path dir) {
        StringBuilder sb = new StringBuilder();
        try (var s = Files.list(dir)) {
            for (Path f : s.toList()) {
                if (Files.isRegularFile(f)) {
                    sb.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).append('\n');
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sb.toString();
    }

    /**
     * {@code secret} in clear and in the encodings a careless store might use: hex (both cases) and
     * base64 (standard and URL-safe) from each of the three byte alignments, so that it is found
     * even inside a longer encoded value.
     */
    static Map<String, String> encodings(String secret) {
        Map<String, String> m = new LinkedHashMap<>();
        byte[] b = secret.getBytes(StandardCharsets.UTF_8);
        m.put("clear", secret);
        m.put("hex", HexFormat.of().formatHex(b));
        m.put("HEX", HexFormat.of().withUpperCase().formatHex(b));
        for (int offset = 0; offset < 3; offset++) {
            byte[] tail = java.util.Arrays.copyOfRange(b, offset, b.length);
            int whole = tail.length / 3 * 3;
            byte[] aligned = java.util.Arrays.copyOf(tail, whole);
            String std = Base64.getEncoder().withoutPadding().encodeToString(aligned);
            String url = Base64.getUrlEncoder().withoutPadding().encodeToString(aligned);
            // inside a longer encoded value, whole 3-byte groups of the secret encode to exactly these characters
            m.put("base64@" + offset, std);
            m.put("base64url@" + offset, url);
        }
        return m;
    }
}
