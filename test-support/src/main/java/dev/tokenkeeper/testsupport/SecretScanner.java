package dev.tokenkeeper.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects every secret a test uses and everything that could leak one (exception messages, their
 * causes, {@code toString}s, stdout, stderr, java.util.logging records) and checks that none
 * contains any secret.
 */
public final class SecretScanner implements AutoCloseable {

    private final Set<String> secrets = Collections.synchronizedSet(new HashSet<>());
    private final List<String> seen = Collections.synchronizedList(new ArrayList<>());
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private final PrintStream originalOut = System.out;
    private final PrintStream originalErr = System.err;
    private final Handler julHandler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            seen.add(String.valueOf(record.getMessage()));
            if (record.getThrown() != null) {
                seen(record.getThrown());
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    public SecretScanner() {
        System.setOut(new PrintStream(new Tee(originalOut), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(originalErr), true, StandardCharsets.UTF_8));
        Logger.getLogger("").addHandler(julHandler);
    }

    /** Registers a secret, with its form-urlencoded form. */
    public String secret(String value) {
        secrets.add(value);
        secrets.add(URLEncoder.encode(value, StandardCharsets.UTF_8));
        return value;
    }

    /** Records a throwable (and its causes) to scan, and checks it now. */
    public void seen(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            seen.add(String.valueOf(c.getMessage()));
            seen.add(c.toString());
        }
        assertClean();
    }

    public void seen(Object o) {
        seen.add(String.valueOf(o));
        assertClean();
    }

    public void assertClean() {
        List<String> texts;
        synchronized (seen) {
            texts = new ArrayList<>(seen);
        }
        synchronized (captured) {
            texts.add(captured.toString(StandardCharsets.UTF_8));
        }
        List<String> all;
        synchronized (secrets) {
            all = new ArrayList<>(secrets);
        }
        for (String text : texts) {
            for (String secret : all) {
                assertThat(text).as("a message, toString or output line").doesNotContain(secret);
            }
        }
    }

    public int scannedTexts() {
        return seen.size();
    }

    @Override
    public void close() {
        System.setOut(originalOut);
        System.setErr(originalErr);
        Logger.getLogger("").removeHandler(julHandler);
        assertClean();
    }

    private final class Tee extends OutputStream {
        private final PrintStream target;

        Tee(PrintStream target) {
            this.target = target;
        }

        @Override
        public void write(int b) {
            synchronized (captured) {
                captured.write(b);
            }
            target.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            synchronized (captured) {
                captured.write(b, off, len);
            }
            target.write(b, off, len);
        }
    }
}
