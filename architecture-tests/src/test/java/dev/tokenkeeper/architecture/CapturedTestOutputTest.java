package dev.tokenkeeper.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenkeeper.testsupport.RequiredServers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The suite-wide leak check. Surefire and Failsafe write every test class's standard output and
 * error (log lines included) to {@code target/*-reports/*-output.txt} in each module; this module is
 * built after all the others, so here every line the whole suite printed is scanned for the shapes
 * a leaked secret would take: the tokens our test servers issue, JWTs, token response bodies,
 * credential form fields, authorization headers and the test suite's client secrets.
 *
 * <p>A finding names the file and line and shows only the first characters of what matched.
 */
class CapturedTestOutputTest {

    /** What a leak looks like in this code base's tests. */
    static final Map<String, Pattern> LEAK_SHAPES = Map.of(
            "a JWT (tokens of mock-oauth2-server)",
            Pattern.compile("eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}"),
            "a token of the fake IdP (tests, demo and benchmarks share it)",
            Pattern.compile("\\bfit-\\d+-[0-9a-f]{8}-[0-9a-f]{4}-"),
            "a test client secret",
            Pattern.compile("\\b[a-z]+-secret-[0-9a-f]{8}-[0-9a-f]{4}-|must-never-show|\\borders-secret\\b"),
            "a token response body",
            Pattern.compile("\"(access_token|refresh_token)\"\\s*:\\s*\"[^\"]"),
            "a credential form field",
            Pattern.compile("\\b(client_secret|refresh_token|password)=[^&\\s\\]]"),
            "an authorization header value",
            Pattern.compile("Authorization:\\s*(Basic|Bearer)\\s+[A-Za-z0-9]"));

    @Test
    @DisplayName("no line printed by any test of any module carries a token or a secret")
    void noSecretInCapturedOutput() throws IOException {
        Path root = Path.of("").toAbsolutePath().getParent();
        List<Path> files = capturedOutputs(root);
        if (files.isEmpty()) {
            String why = "no captured test output under " + root + ": run the whole build (./mvnw verify), "
                    + "whose modules write it before this one runs";
            if (RequiredServers.required()) {
                throw new AssertionError(why);
            }
            Assumptions.abort(why);
        }
        List<String> findings = new ArrayList<>();
        for (Path file : files) {
            List<String> lines = readLenient(file);
            for (int i = 0; i < lines.size(); i++) {
                for (Map.Entry<String, Pattern> shape : LEAK_SHAPES.entrySet()) {
                    Matcher m = shape.getValue().matcher(lines.get(i));
                    if (m.find()) {
                        findings.add(root.relativize(file) + ":" + (i + 1) + " " + shape.getKey() + " ("
                                + m.group().substring(0, Math.min(6, m.group().length())) + "…)");
                    }
                }
            }
        }
        assertThat(findings).as("leaks in %d captured output files", files.size()).isEmpty();
    }

    @Test
    @DisplayName("the leak shapes recognise what they are meant to, and not ordinary log lines")
    void shapesWork() {
        List<String> leaks = List.of(
                "token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvcmRlcnMifQ.c2lnbmF0dXJlLWJ5dGVz",
                "got fit-3-0f8fad5b-d9cb-469f-a165-70867728950e.1767225600000",
                "secret it-secret-0f8fad5b-d9cb-469f-a165-70867728950e",
                "{\"access_token\":\"abc\"}",
                "grant_type=refresh_token&refresh_token=xyz",
                "Authorization: Bearer abc");
        for (String leak : leaks) {
            assertThat(LEAK_SHAPES.values()).as(leak).anyMatch(p -> p.matcher(leak).find());
        }
        List<String> clean = List.of(
                "05:07:42.567 INFO  dev.tokenkeeper - token acquired: client=demo grant=client_credentials attempts=1",
                "store load failed for client=orders (redis.clients.jedis.exceptions.JedisConnectionException)",
                "AccessToken[type=Bearer, issuedAt=2026-01-01T00:00:00Z, refreshToken=present]",
                "the form carried client_secret= and refresh_token= fields", // names, not values
                "Secret[redacted]");
        for (String line : clean) {
            assertThat(LEAK_SHAPES.values()).as(line).noneMatch(p -> p.matcher(line).find());
        }
    }

    private static List<Path> capturedOutputs(Path root) throws IOException {
        List<Path> found = new ArrayList<>();
        List<Path> moduleDirs = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            moduleDirs.addAll(modules.filter(Files::isDirectory).toList());
        }
        Path integrations = root.resolve("integrations"); // the HTTP client integrations nest one level deeper
        if (Files.isDirectory(integrations)) {
            try (Stream<Path> modules = Files.list(integrations)) {
                moduleDirs.addAll(modules.filter(Files::isDirectory).toList());
            }
        }
        for (Path module : moduleDirs) {
            for (String reports : List.of("surefire-reports", "failsafe-reports")) {
                Path dir = module.resolve("target").resolve(reports);
                if (Files.isDirectory(dir)) {
                    try (Stream<Path> outputs = Files.list(dir)) {
                        outputs.filter(p -> p.getFileName().toString().endsWith("-output.txt")).forEach(found::add);
                    }
                }
            }
        }
        return found;
    }

    private static List<String> readLenient(Path file) {
        try {
            var decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE);
            return decoder.decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString().lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
