package dev.tokenkeeper.runnable.cli;

import dev.tokenkeeper.fakeidp.FakeIdp;
import dev.tokenkeeper.runnable.cli.TokenkeeperCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The command line run in this JVM, as the tests of the CLI run it: an environment, and standard
 * output and error captured. Register it on an instance field:
 *
 * <pre>{@code
 * @RegisterExtension
 * final CapturedCli cli = new CapturedCli();
 * }</pre>
 *
 * Before each test (before the test's own {@code @BeforeEach} methods) the environment is emptied
 * and {@code System.out}/{@code System.err} are swapped for buffers; after each test (after its
 * {@code @AfterEach} methods, which may still read the buffers) the real streams are put back.
 * Nothing captured reaches the real streams.
 *
 * <p>{@link #run} empties the buffers first, so {@link #out()} and {@link #err()} hold what that one
 * command printed; {@link #printed()} holds everything printed since the test began, for scanning
 * it for secrets. Text printed outside {@code run} (say by a command running in another thread, or
 * by logging) lands in the buffers too.
 *
 * <p>{@link #withIdp()} also starts a {@link FakeIdp} issuing one-hour tokens
 * before each test (before the test's {@code @BeforeEach} methods, which may add it as a client)
 * and closes it after each test.
 */
public final class CapturedCli implements BeforeEachCallback, AfterEachCallback {

    private final boolean withIdp;
    private FakeIdp idp;
    private final Map<String, String> env = new HashMap<>();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    /** What earlier commands of this test printed, before {@link #run} emptied the buffers. */
    private final StringBuilder earlier = new StringBuilder();
    private PrintStream stdout;
    private PrintStream stderr;

    /** Captures the command line only; the test brings its own IdP. */
    public CapturedCli() {
        this(false);
    }

    private CapturedCli(boolean withIdp) {
        this.withIdp = withIdp;
    }

    /** Captures the command line and starts a fresh {@link #idp()} for each test. */
    public static CapturedCli withIdp() {
        return new CapturedCli(true);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (withIdp) {
            idp = FakeIdp.start().issueTokens(Duration.ofHours(1));
        }
        env.clear();
        out.reset();
        err.reset();
        earlier.setLength(0);
        stdout = System.out;
        stderr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        System.setOut(stdout);
        System.setErr(stderr);
        if (idp != null) {
            idp.close();
            idp = null;
        }
    }

    /** This test's IdP, issuing one-hour tokens unless the test says otherwise; only {@link #withIdp()}. */
    public FakeIdp idp() {
        if (idp == null) {
            throw new IllegalStateException("no IdP: register CapturedCli.withIdp(), and use it during a test");
        }
        return idp;
    }

    /** The environment the commands see; empty at the start of each test, changed freely by it. */
    public Map<String, String> env() {
        return env;
    }

    /**
     * Adds a client to the environment the way an operator would:
     * {@code TOKENKEEPER__CLIENTS__<NAME>__TOKEN_URL}, {@code …__CLIENT_ID} and {@code …__CLIENT_SECRET}.
     */
    public CapturedCli client(String name, URI tokenUrl, String clientId, String clientSecret) {
        String prefix = "TOKENKEEPER__CLIENTS__" + name.toUpperCase(Locale.ROOT) + "__";
        env.put(prefix + "TOKEN_URL", tokenUrl.toString());
        env.put(prefix + "CLIENT_ID", clientId);
        env.put(prefix + "CLIENT_SECRET", clientSecret);
        return this;
    }

    /** Sets one environment variable. */
    public CapturedCli set(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** Runs {@code tokenkeeper args…} with {@link #env()} and empty buffers; returns its exit code. */
    public int run(String... args) {
        return run(env, args);
    }

    /** Runs {@code tokenkeeper args…} with another environment and empty buffers; returns its exit code. */
    public int run(Map<String, String> environment, String... args) {
        synchronized (this) {
            earlier.append(out.toString(StandardCharsets.UTF_8)).append(err.toString(StandardCharsets.UTF_8));
            out.reset();
            err.reset();
        }
        return TokenkeeperCli.run(environment, args);
    }

    /** Standard output since the last {@link #run} (or since the test began). */
    public String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Standard error since the last {@link #run} (or since the test began); log lines go here. */
    public String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** Everything printed on either stream since the test began, by every command. */
    public synchronized String printed() {
        return earlier + out() + err();
    }
}
