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
 * What the launcher runs once per jar and JVM to record its class-data-sharing archive, so that the
 * archive holds exactly the classes a cached {@code token} and {@code status} load (the sealed file
 * read and its AES-GCM opening included), whichever command a user happens to run first.
 *
 * <ol>
 *   <li>{@code prepare}: makes a private throw-away token directory, imports a made-up token for a
 *       made-up client into it (nothing is sent anywhere: the token endpoint is never called, and
 *       its name cannot resolve), and prints the directory. Run without recording: the import
 *       starts the whole manager, whose classes a cached read never needs, and every class in the
 *       archive is mapped and relocated at each start.</li>
 *   <li>{@code read DIR}: reads the token back through the short path ({@code token},
 *       {@code token --header}, {@code status}, {@code status --json}), then deletes the directory.
 *       Run under {@code -XX:ArchiveClassesAtExit}.</li>
 * </ol>
 *
 * <p>Output goes nowhere but the directory's name; the exit code is 0 unless a step failed, and the
 * launcher records the archive either way (an archive of fewer classes only starts slower).
 */
public final class CdsTraining {

    private CdsTraining() {}

    public static void main(String[] args) throws IOException {
        ProviderOrder.preferSunJce(); // as TokenkeeperCli.main: the archive holds the classes that order loads
        if (args.length == 1 && args[0].equals("prepare")) {
            System.exit(prepare());
        } else if (args.length == 2 && args[0].equals("read")) {
            System.exit(read(Path.of(args[1])));
        }
        System.err.println("usage: CdsTraining prepare | read DIR");
        System.exit(2);
    }

    private static Map<String, String> environment(Path dir) {
        return Map.of(
                "TOKENKEEPER_HOME", dir.resolve("home").toString(),
                "OAUTH_TOKEN_URL", "https://cds-training.invalid/token",
                "OAUTH_CLIENT_ID", "cds-training",
                "OAUTH_CLIENT_SECRET", "cds-training-secret");
    }

    private static int prepare() throws IOException {
        Path dir = Files.createTempDirectory("tokenkeeper-cds-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path token = Files.writeString(dir.resolve("token.json"),
                "{\"access_token\":\"cds-training-token\",\"token_type\":\"Bearer\",\"expires_in\":3600}");
        PrintStream out = System.out;
        int exit;
        try {
            silence();
            exit = TokenkeeperCli.run(environment(dir), "import", "--file", token.toString());
        } finally {
            System.setOut(out);
        }
        if (exit != TokenkeeperCli.OK) {
            delete(dir);
            return 1;
        }
        out.println(dir);
        return 0;
    }

    private static int read(Path dir) throws IOException {
        if (!Files.isDirectory(dir) || !dir.getFileName().toString().startsWith("tokenkeeper-cds-")) {
            return 2; // only ever a directory prepare made
        }
        int failed = 0;
        try {
            PrintStream nowhere = silence();
            Map<String, String> env = environment(dir);
            for (String[] args : new String[][] {{"token"}, {"token", "--header"}, {"status"}, {"status", "--json"}}) {
                failed += FastPath.run(env, args, nowhere) == TokenkeeperCli.OK ? 0 : 1;
            }
        } finally {
            delete(dir);
        }
        return failed == 0 ? 0 : 1;
    }

    private static PrintStream silence() {
        PrintStream nowhere = new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        System.setOut(nowhere);
        System.setErr(nowhere);
        return nowhere;
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
