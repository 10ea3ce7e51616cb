package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.domain.ConfigurationException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.KeyStoreOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The TLS client certificate and key of a client that authenticates with mutual TLS (RFC 8705:
 * {@code tls_client_auth}, {@code self_signed_tls_client_auth}). Read from PEM files or a PKCS#12
 * file, read again when a file changes (the endpoint then updates its TLS options, so a rotated
 * certificate is used without a restart); a key file must be readable by its owner only. Nothing
 * of the key is ever in a message or {@code toString}.
 */
public final class ClientCertificate {

    private final WatchedFiles<KeyCertOptions> source;
    private final String description;

    private ClientCertificate(WatchedFiles<KeyCertOptions> source, String description) {
        this.source = source;
        this.description = description;
    }

    /**
     * A certificate (chain) in {@code certificateFile} and its PKCS#8 or PKCS#1 RSA private key in
     * {@code keyFile}, both PEM; they may be the same file.
     *
     * @throws ConfigurationException if a file cannot be read, the key file is readable by others,
     *     or there is no certificate or key in them
     */
    public static ClientCertificate pem(Path certificateFile, Path keyFile) {
        Objects.requireNonNull(certificateFile, "certificateFile");
        Objects.requireNonNull(keyFile, "keyFile");
        List<Path> files = certificateFile.equals(keyFile) ? List.of(keyFile) : List.of(certificateFile, keyFile);
        return new ClientCertificate(new WatchedFiles<>("the TLS client certificate", files, Set.of(keyFile), c -> {
            byte[] cert = c.get(0);
            byte[] key = c.get(c.size() - 1);
            checkPem(new String(cert, StandardCharsets.US_ASCII), new String(key, StandardCharsets.US_ASCII));
            return new PemKeyCertOptions().setCertValue(Buffer.buffer(cert)).setKeyValue(Buffer.buffer(key));
        }), "PEM " + certificateFile + (files.size() > 1 ? " + " + keyFile : ""));
    }

    /**
     * The key entry of a PKCS#12 file (its chain is sent), protected by {@code password} (the key's too).
     *
     * @param password the store's password, or null for none
     * @throws ConfigurationException if the file cannot be read, is readable by others or holds no key entry
     */
    public static ClientCertificate pkcs12(Path file, SecretSource password) {
        Objects.requireNonNull(file, "file");
        return new ClientCertificate(new WatchedFiles<>("the TLS client certificate", List.of(file), Set.of(file), c -> {
            String pw = password == null ? "" : password.current().reveal();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(new ByteArrayInputStream(c.get(0)), pw.toCharArray());
            long keys = Collections.list(ks.aliases()).stream().filter(a -> {
                try {
                    return ks.isKeyEntry(a);
                } catch (java.security.KeyStoreException e) {
                    return false;
                }
            }).count();
            if (keys != 1) {
                throw new IllegalArgumentException("tokenkeeper: the key store must hold exactly one key entry, it holds " + keys);
            }
            return new KeyStoreOptions().setType("PKCS12").setValue(Buffer.buffer(c.get(0))).setPassword(pw);
        }), "PKCS#12 " + file);
    }

    private static final Pattern PEM_BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

    private static void checkPem(String certText, String keyText) throws Exception {
        boolean cert = false;
        Matcher m = PEM_BLOCK.matcher(certText);
        while (m.find()) {
            if (m.group(1).equals("CERTIFICATE")) {
                CertificateFactory.getInstance("X.509").generateCertificate(
                        new ByteArrayInputStream(Base64.getMimeDecoder().decode(m.group(2))));
                cert = true;
            }
        }
        if (!cert) {
            throw new IllegalArgumentException("tokenkeeper: no -----BEGIN CERTIFICATE----- block");
        }
        Matcher k = PEM_BLOCK.matcher(keyText);
        while (k.find()) {
            if (k.group(1).equals("PRIVATE KEY")) {
                ClientAssertionKey.pkcs8(Base64.getMimeDecoder().decode(k.group(2)));
                return;
            }
            if (k.group(1).equals("RSA PRIVATE KEY")) {
                return; // PKCS#1: Vert.x reads it; the JDK alone cannot check it
            }
        }
        throw new IllegalArgumentException("tokenkeeper: no -----BEGIN PRIVATE KEY----- block (PKCS#8)");
    }

    /** The key and certificate as they are now. */
    KeyCertOptions current() {
        return source.current();
    }

    /** Moves when a file changed and was read again. */
    long version() {
        return source.version();
    }

    /** Reads the files again now; whether they changed. */
    boolean reload() {
        return source.reload();
    }

    @Override
    public String toString() {
        return "ClientCertificate[" + description + "]";
    }
}
