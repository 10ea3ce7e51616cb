package dev.tokenkeeper.runnable.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * What the launcher runs once per jar and JVM to record its class-data-sharing archive: the
 * commands scripts run most, on a throw-away token directory, so that the archive holds the classes
 * a cached {@code token} and {@code status} load (the sealed file read and its AES-GCM opening
 * included) whichever command a user happens to run first.
 *
 * <p>It imports a made-up token for a made-up client (nothing is sent anywhere: the token endpoint
 * is never called, and its name cannot resolve), reads it back through the short path, and deletes
 * the directory. Its output goes nowhere; its exit code is 0 unless a step failed, and the launcher
 * records the archive either way (an archive of fewer classes only starts slower).
 */
public final class CdsTraining {

    private CdsTraining() {}

    public static void main(String[] args) throws IOException {
        ProviderOrder.preferSunJce(); // as TokenkeeperCli.main: the archive holds the classes that order loads
        Path home = Files.createTempDirectory("tokenkeeper-cds-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        PrintStream out = System.out;
        PrintStream err = System.err;
        int failed = 0;
        try {
            Path token = Files.writeString(home.resolve("token.json"),
                    "{\"access_token\":\"cds-training-token\",\"token_type\":\"Bearer\",\"expires_in\":3600}");
            Map<String, String> env = Map.of(
                    "TOKENKEEPER_HOME", home.resolve("home").toString(),
                    "OAUTH_TOKEN_URL", "https://cds-training.invalid/token",
                    "OAUTH_CLIENT_ID", "cds-training",
                    "OAUTH_CLIENT_SECRET", "cds-training-secret");
            PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
            System.setOut(nowhere);
            System.setErr(nowhere);
            failed += TokenkeeperCli.run(env, "import", "--file", token.toString()) == TokenkeeperCli.OK ? 0 : 1;
            failed += FastPath.run(env, new String[] {"token"}, nowhere) == TokenkeeperCli.OK ? 0 : 1;
            failed += FastPath.run(env, new String[] {"token", "--header"}, nowhere) == TokenkeeperCli.OK ? 0 : 1;
            failed += FastPath.run(env, new String[] {"status"}, nowhere) == TokenkeeperCli.OK ? 0 : 1;
            failed += FastPath.run(env, new String[] {"status", "--json"}, nowhere) == TokenkeeperCli.OK ? 0 : 1;
        } finally {
            System.setOut(out);
            System.setErr(err);
            delete(home);
        }
        System.exit(failed == 0 ? 0 : 1); // library threads (Vert.x) must not keep the JVM alive
    }

    private static void delete(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
