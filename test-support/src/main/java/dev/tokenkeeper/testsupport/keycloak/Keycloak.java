package dev.tokenkeeper.testsupport.keycloak;

import dev.tokenkeeper.testsupport.RequiredServers;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * One real Keycloak ({@value #VERSION}, the {@code org.keycloak:keycloak-quarkus-dist} zip from
 * Maven Central) for every test class and module of a suite run, on loopback.
 *
 * <h2>How it is found or started</h2>
 * {@link #get()} returns, in this order: the instance this JVM already has; a Keycloak already
 * answering on the harness's HTTP port that this harness started (its state directory holds the
 * admin password and the test CA), so the second test module's JVM reuses the first one's server;
 * otherwise it starts one: {@code kc.sh start-dev} from the unpacked distribution in
 * {@code ~/.cache/tokenkeeper/keycloak-26.7.3} (put there by {@code .ci/keycloak.sh}, or unpacked by
 * this class from {@code ~/.m2} when the zip is there), with an in-memory database
 * ({@code --db=dev-mem}), HTTP on {@code 127.0.0.1:}{@value #DEFAULT_HTTP_PORT} and HTTPS on
 * {@value #DEFAULT_HTTPS_PORT} with a server certificate from a test CA generated at that start
 * ({@code keytool}), and client certificates requested and checked against that CA (for RFC 8705
 * mTLS tests). Start-up takes 40–90 s on two cores. The server is left running when the JVM exits
 * so that later test JVMs reuse it; {@code bash .ci/keycloak.sh stop} stops it. A file lock in the
 * state directory keeps two JVMs from starting two servers. Keycloak runs on the JDK named by
 * {@code KEYCLOAK_JAVA_HOME}, else Temurin 25 at {@code /usr/lib/jvm/temurin-25-jdk-amd64}, else
 * this JVM's.
 *
 * <p>Without a distribution (or when it does not come up) the test is skipped on a developer
 * machine and <em>fails</em> under {@code CI=true} ({@link RequiredServers#required()}).
 *
 * <h2>The realm</h2>
 * The tests own one realm, {@value #REALM}, in {@code keycloak/tokenkeeper-realm.json} on this
 * module's class path. {@link #get()} makes the server's realm match that file through the admin
 * API: it (re)creates the realm whenever the file's SHA-256 differs from the one recorded in the
 * realm's {@code tokenkeeperRealmHash} attribute, so an edited file takes effect even on a reused
 * server. Clients in it today:
 * <ul>
 *   <li>{@code tk-secret}: confidential, {@code client_secret_basic}/{@code client_secret_post}
 *       (secret {@link #SECRET_CLIENT_SECRET}), service accounts enabled;
 *   <li>{@code tk-secret-jwt}: {@code client_secret_jwt} (Keycloak's {@code client-secret-jwt}
 *       authenticator, HS256, secret {@link #SECRET_JWT_CLIENT_SECRET});
 *   <li>{@code tk-jwt-rs256}, {@code tk-jwt-es256}: {@code private_key_jwt} (Keycloak's
 *       {@code client-jwt}); the test generates the key pair and installs its public JWKS with
 *       {@link #useJwks(String, String)} before requesting a token;
 *   <li>{@code tk-mtls}: {@code tls_client_auth} (Keycloak's {@code client-x509}), subject DN
 *       {@code CN=tk-mtls}; a test gets a certificate for it from {@link #issueClientCertificate};
 * </ul>
 *
 * <h2>Adding a client</h2>
 * Add an entry to {@code "clients"} in {@code keycloak/tokenkeeper-realm.json} (its hash changes, so
 * the realm is recreated on the next run, even on a reused server): {@code clientId},
 * {@code "publicClient": false}, {@code "serviceAccountsEnabled": true} for client credentials,
 * {@code "directAccessGrantsEnabled": true} for the password grant (add a user under
 * {@code "users"}), {@code clientAuthenticatorType} ({@code client-secret}, {@code client-secret-jwt},
 * {@code client-jwt}, {@code client-x509}) and {@code attributes}, e.g.
 * {@code "dpop.bound.access.tokens": "true"} for DPoP, or
 * {@code "standard.token.exchange.enabled": "true"} for RFC 8693 token exchange. Settings that
 * depend on keys made at test time go through the admin API at test time, as
 * {@link #useJwks(String, String)} does ({@link #updateClient(String, String)} for any other).
 */
public final class Keycloak {

    /** The distribution's version. */
    public static final String VERSION = "26.7.3";
    /** The realm the tests use. */
    public static final String REALM = "tokenkeeper";
    /** Default loopback HTTP port; {@code -Dtokenkeeper.keycloak.port} or {@code KEYCLOAK_PORT} override. */
    public static final int DEFAULT_HTTP_PORT = 18080;
    /** Default loopback HTTPS port; {@code -Dtokenkeeper.keycloak.https-port} or {@code KEYCLOAK_HTTPS_PORT} override. */
    public static final int DEFAULT_HTTPS_PORT = 18443;
    /** The secret of {@code tk-secret} in the realm file (a test fixture; scanners should look for it). */
    public static final String SECRET_CLIENT_SECRET = "tk-secret-6c1f0e8a9b4d4f2c";
    /** The secret of {@code tk-secret-jwt}: HS256 needs at least 32 bytes. */
    public static final String SECRET_JWT_CLIENT_SECRET = "tk-secret-jwt-2b7d9f41c3a84e06a5f1d0c9e8b7a6f5";
    /** The password of the test CA's and server's PKCS#12 files (not a secret: test-only material). */
    public static final String STORE_PASSWORD = "changeit";

    private static final String REALM_RESOURCE = "keycloak/tokenkeeper-realm.json";
    private static final Duration STARTUP = Duration.ofMinutes(4);
    private static Keycloak instance;

    private final URI http;
    private final URI https;
    private final Path state;
    private final String adminPassword;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Keycloak(URI http, URI https, Path state, String adminPassword) {
        this.http = http;
        this.https = https;
        this.state = state;
        this.adminPassword = adminPassword;
    }

    /** The suite's Keycloak, with the realm matching the test's realm file; skips or fails (CI) if there is none. */
    public static synchronized Keycloak get() {
        if (instance != null) {
            return instance;
        }
        List<String> tried = new ArrayList<>();
        try {
            Keycloak k = findOrStart(tried);
            if (k != null) {
                k.ensureRealm();
                return instance = k;
            }
        } catch (IOException | RuntimeException e) {
            tried.add(e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            tried.add("interrupted");
        }
        String message = "Keycloak " + VERSION + " is required by this test but none is available (" + String.join("; ", tried)
                + "). Prepare the distribution with: bash .ci/keycloak.sh";
        if (RequiredServers.required()) {
            return Assertions.fail(message + " [servers are required: CI=true or -Dtokenkeeper.require.servers=true]");
        }
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }

    /** {@code http://127.0.0.1:port}. */
    public URI httpBase() {
        return http;
    }

    /** {@code https://127.0.0.1:port}: its certificate is issued by {@link #caPem()}; client certificates are requested. */
    public URI httpsBase() {
        return https;
    }

    /** The realm's issuer over HTTP. */
    public URI issuer() {
        return URI.create(http + "/realms/" + REALM);
    }

    /** The realm's issuer over HTTPS. */
    public URI httpsIssuer() {
        return URI.create(https + "/realms/" + REALM);
    }

    /** The realm's token endpoint over HTTP. */
    public URI tokenEndpoint() {
        return URI.create(issuer() + "/protocol/openid-connect/token");
    }

    /** The realm's token endpoint over HTTPS. */
    public URI httpsTokenEndpoint() {
        return URI.create(httpsIssuer() + "/protocol/openid-connect/token");
    }

    /** The test CA's certificate, PEM: trust it to reach {@link #httpsBase()}; it issues client certificates too. */
    public Path caPem() {
        return state.resolve("tls/ca.pem");
    }

    /**
     * Issues a client certificate with subject {@code CN=commonName}, signed by the test CA, as a
     * PKCS#12 file {@code dir/commonName.p12} (password {@link #STORE_PASSWORD}, alias
     * {@code client}, the key and the chain up to the CA).
     */
    public Path issueClientCertificate(String commonName, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path p12 = dir.resolve(commonName + ".p12");
        Path csr = dir.resolve(commonName + ".csr");
        Path crt = dir.resolve(commonName + ".crt");
        Files.deleteIfExists(p12);
        Path ca = state.resolve("tls/ca.p12");
        keytool("-genkeypair", "-alias", "client", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + commonName,
                "-validity", "30", "-keystore", p12.toString(), "-storetype", "PKCS12", "-storepass", STORE_PASSWORD);
        keytool("-certreq", "-alias", "client", "-keystore", p12.toString(), "-storepass", STORE_PASSWORD, "-file", csr.toString());
        keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", STORE_PASSWORD, "-infile", csr.toString(),
                "-outfile", crt.toString(), "-validity", "30", "-ext", "ku:c=digitalSignature", "-ext", "eku=clientAuth", "-rfc");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-keystore", p12.toString(), "-storepass", STORE_PASSWORD,
                "-file", caPem().toString());
        keytool("-importcert", "-alias", "client", "-keystore", p12.toString(), "-storepass", STORE_PASSWORD,
                "-file", crt.toString());
        Files.delete(csr);
        Files.delete(crt);
        return p12;
    }

    /**
     * Makes {@code clientId} (a {@code client-jwt} client) verify assertions with the public keys
     * in {@code jwksJson} (a JWK Set, public parts only).
     */
    public void useJwks(String clientId, String jwksJson) throws IOException, InterruptedException {
        updateClient(clientId, "{\"attributes\":{\"use.jwks.url\":\"false\",\"use.jwks.string\":\"true\",\"jwks.string\":"
                + jsonString(jwksJson) + "}}");
    }

    /** Merges {@code partialJson} (a partial ClientRepresentation) into {@code clientId} of the realm. */
    public void updateClient(String clientId, String partialJson) throws IOException, InterruptedException {
        String token = adminToken();
        HttpResponse<String> found = send(HttpRequest.newBuilder(URI.create(http + "/admin/realms/" + REALM
                        + "/clients?clientId=" + URLEncoder.encode(clientId, StandardCharsets.UTF_8)))
                .header("Authorization", "Bearer " + token).GET().build());
        Matcher m = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(found.body());
        if (found.statusCode() != 200 || !m.find()) {
            throw new IllegalStateException("client " + clientId + " not found in realm " + REALM + " (" + found.statusCode() + ")");
        }
        HttpResponse<String> put = send(HttpRequest.newBuilder(URI.create(http + "/admin/realms/" + REALM + "/clients/" + m.group(1)))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(partialJson)).build());
        if (put.statusCode() / 100 != 2) {
            throw new IllegalStateException("updating client " + clientId + " failed: " + put.statusCode() + " " + put.body());
        }
    }

    // ---------------------------------------------------------------------------------------------

    private static Keycloak findOrStart(List<String> tried) throws IOException, InterruptedException {
        int httpPort = port("tokenkeeper.keycloak.port", "KEYCLOAK_PORT", DEFAULT_HTTP_PORT);
        int httpsPort = port("tokenkeeper.keycloak.https-port", "KEYCLOAK_HTTPS_PORT", DEFAULT_HTTPS_PORT);
        URI http = URI.create("http://127.0.0.1:" + httpPort);
        URI https = URI.create("https://127.0.0.1:" + httpsPort);
        Path cache = cacheDir();
        Path state = cache.resolve("keycloak-" + VERSION + "-run-" + httpPort);
        Files.createDirectories(state);
        try (FileChannel lockFile = FileChannel.open(state.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = lockFile.lock()) {
            Path passwordFile = state.resolve("admin-password");
            if (RequiredServers.portOpen("127.0.0.1", httpPort)) {
                if (Files.exists(passwordFile) && Files.exists(state.resolve("tls/ca.p12"))
                        && answers(http, Duration.ofSeconds(STARTUP.toSeconds()))) {
                    return new Keycloak(http, https, state, Files.readString(passwordFile).strip());
                }
                tried.add("127.0.0.1:" + httpPort + " is taken by something this harness did not start (or that is not ready)");
                return null;
            }
            Path home = distribution(cache, tried);
            if (home == null) {
                return null;
            }
            String password = randomPassword();
            Files.deleteIfExists(passwordFile);
            Files.createFile(passwordFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(passwordFile, password);
            makeTls(state.resolve("tls"));
            Path log = state.resolve("keycloak.log");
            ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/kc.sh").toString(), "start-dev",
                    "--db=dev-mem",
                    "--http-host=127.0.0.1", "--http-port=" + httpPort, "--https-port=" + httpsPort,
                    "--https-key-store-file=" + state.resolve("tls/server.p12"),
                    "--https-key-store-password=" + STORE_PASSWORD,
                    "--https-trust-store-file=" + state.resolve("tls/truststore.p12"),
                    "--https-trust-store-password=" + STORE_PASSWORD,
                    "--https-client-auth=request",
                    "--hostname-strict=false",
                    "--log-level=WARN")
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
            pb.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", password);
            pb.environment().put("JAVA_HOME", keycloakJava());
            pb.environment().putIfAbsent("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx768m");
            Process p = pb.start(); // deliberately not destroyed at exit: later test JVMs reuse it
            Files.writeString(state.resolve("pid"), Long.toString(p.pid()));
            // a real-time wait: a JVM server's start-up cannot be driven by a test clock
            long deadline = System.nanoTime() + STARTUP.toNanos();
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    tried.add("kc.sh start-dev exited with " + p.exitValue() + "; see " + log);
                    return null;
                }
                if (answers(http, Duration.ofSeconds(2))) {
                    return new Keycloak(http, https, state, password);
                }
                TimeUnit.MILLISECONDS.sleep(500);
            }
            p.destroyForcibly();
            tried.add("Keycloak did not answer within " + STARTUP + "; see " + log);
            return null;
        }
    }

    private static boolean answers(URI http, Duration within) throws InterruptedException {
        HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + within.toNanos();
        do {
            try {
                HttpResponse<String> r = c.send(HttpRequest.newBuilder(URI.create(http + "/realms/master"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return true;
                }
            } catch (IOException e) {
                // not up yet
            }
            TimeUnit.MILLISECONDS.sleep(500);
        } while (System.nanoTime() < deadline);
        return false;
    }

    /** The unpacked distribution, unpacking it from the local Maven repository if only the zip is there. */
    private static Path distribution(Path cache, List<String> tried) throws IOException {
        Path home = cache.resolve("keycloak-" + VERSION);
        if (Files.isExecutable(home.resolve("bin/kc.sh"))) {
            return home;
        }
        Path zip = Path.of(System.getProperty("user.home"), ".m2/repository/org/keycloak/keycloak-quarkus-dist", VERSION,
                "keycloak-quarkus-dist-" + VERSION + ".zip");
        if (!Files.isRegularFile(zip)) {
            tried.add("no distribution at " + home + " nor " + zip);
            return null;
        }
        Path tmp = Files.createTempDirectory(cache, "unpack");
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                Path target = tmp.resolve(e.getName()).normalize();
                if (!target.startsWith(tmp)) {
                    throw new IOException("zip entry outside the target: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        Path unpacked = tmp.resolve("keycloak-" + VERSION);
        for (String script : List.of("kc.sh", "kcadm.sh", "kcreg.sh")) {
            Path s = unpacked.resolve("bin").resolve(script);
            if (Files.exists(s)) {
                s.toFile().setExecutable(true);
            }
        }
        try {
            Files.move(unpacked, home, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.isExecutable(home.resolve("bin/kc.sh"))) {
                throw e;
            }
        }
        return home;
    }

    /** The test CA, the server's key store (CN and SAN 127.0.0.1) and a trust store of the CA; new at every start. */
    private static void makeTls(Path dir) throws IOException, InterruptedException {
        if (Files.exists(dir)) {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
        }
        Files.createDirectories(dir);
        String ca = dir.resolve("ca.p12").toString();
        String server = dir.resolve("server.p12").toString();
        String csr = dir.resolve("server.csr").toString();
        String crt = dir.resolve("server.crt").toString();
        String pem = dir.resolve("ca.pem").toString();
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=tokenkeeper test CA",
                "-ext", "bc:c", "-ext", "ku:c=keyCertSign,cRLSign", "-validity", "30", "-keystore", ca, "-storetype", "PKCS12",
                "-storepass", STORE_PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca, "-storepass", STORE_PASSWORD, "-file", pem);
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-validity", "30", "-keystore", server, "-storetype", "PKCS12", "-storepass", STORE_PASSWORD);
        keytool("-certreq", "-alias", "server", "-keystore", server, "-storepass", STORE_PASSWORD, "-file", csr);
        keytool("-gencert", "-alias", "ca", "-keystore", ca, "-storepass", STORE_PASSWORD, "-infile", csr, "-outfile", crt,
                "-validity", "30", "-ext", "san=ip:127.0.0.1,dns:localhost", "-ext", "eku=serverAuth", "-rfc");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-keystore", server, "-storepass", STORE_PASSWORD, "-file", pem);
        keytool("-importcert", "-alias", "server", "-keystore", server, "-storepass", STORE_PASSWORD, "-file", crt);
        keytool("-importcert", "-noprompt", "-alias", "ca", "-keystore", dir.resolve("truststore.p12").toString(),
                "-storetype", "PKCS12", "-storepass", STORE_PASSWORD, "-file", pem);
        Files.delete(Path.of(csr));
        Files.delete(Path.of(crt));
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + out);
        }
    }

    private void ensureRealm() throws IOException, InterruptedException {
        String json;
        try (InputStream in = Keycloak.class.getClassLoader().getResourceAsStream(REALM_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(REALM_RESOURCE + " is not on the class path");
            }
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String hash = sha256(json);
        String token = adminToken();
        URI realmUri = URI.create(http + "/admin/realms/" + REALM);
        HttpResponse<String> existing = send(HttpRequest.newBuilder(realmUri).header("Authorization", "Bearer " + token).GET().build());
        if (existing.statusCode() == 200 && existing.body().contains(hash)) {
            return;
        }
        if (existing.statusCode() == 200) {
            send(HttpRequest.newBuilder(realmUri).header("Authorization", "Bearer " + token).DELETE().build());
        }
        String withHash = json.replaceFirst("\\{", "{\"attributes\": {\"tokenkeeperRealmHash\": \"" + hash + "\"},");
        HttpResponse<String> created = send(HttpRequest.newBuilder(URI.create(http + "/admin/realms"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(withHash)).build());
        if (created.statusCode() != 201) {
            throw new IllegalStateException("importing realm " + REALM + " failed: " + created.statusCode() + " " + created.body());
        }
    }

    private String adminToken() throws IOException, InterruptedException {
        String form = "grant_type=password&client_id=admin-cli&username=admin&password="
                + URLEncoder.encode(adminPassword, StandardCharsets.UTF_8);
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(http + "/realms/master/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build());
        Matcher m = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"").matcher(r.body());
        if (r.statusCode() != 200 || !m.find()) {
            throw new IllegalStateException("no admin token from Keycloak (" + r.statusCode() + ")");
        }
        return m.group(1);
    }

    private HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static String keycloakJava() {
        String env = System.getenv("KEYCLOAK_JAVA_HOME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        Path temurin = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");
        if (Files.isExecutable(temurin.resolve("bin/java"))) {
            return temurin.toString();
        }
        return System.getProperty("java.home");
    }

    private static Path cacheDir() throws IOException {
        String env = System.getenv("TOKENKEEPER_CACHE");
        Path dir = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "tokenkeeper");
        Files.createDirectories(dir);
        return dir;
    }

    private static int port(String property, String env, int fallback) {
        String v = System.getProperty(property, System.getenv(env));
        return v == null || v.isBlank() ? fallback : Integer.parseInt(v.strip());
    }

    private static String randomPassword() {
        byte[] b = new byte[18];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code s} as a JSON string literal. */
    public static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    @Override
    public String toString() {
        return "Keycloak[" + http + ", " + https + "]";
    }
}
