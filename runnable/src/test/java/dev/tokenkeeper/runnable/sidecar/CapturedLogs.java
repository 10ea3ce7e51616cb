package dev.tokenkeeper.runnable.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * Every logback event while open (tokenkeeper's own loggers turned up to DEBUG, so that every event's
 * {@code toString} is rendered and scanned too), plus any other text a test saw (HTTP bodies), checked
 * for secrets and for anything shaped like a JWT. The test IdP's own loggers are left out: it logs
 * what it issues, which is its business, not ours.
 */
final class CapturedLogs extends AppenderBase<ILoggingEvent> implements AutoCloseable {

    /** A JWT: two base64url JSON segments. Every token mock-oauth2-server issues has this shape. */
    static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}");

    private final List<String> texts = new ArrayList<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final Logger ours = (Logger) LoggerFactory.getLogger("dev.tokenkeeper");
    private final Level oursBefore = ours.getLevel();

    CapturedLogs() {
        setContext(root.getLoggerContext());
        setName("captured-logs");
        start();
        root.addAppender(this);
        ours.setLevel(Level.DEBUG);
    }

    @Override
    protected synchronized void append(ILoggingEvent e) {
        if (e.getLoggerName().startsWith("no.nav.security") || e.getLoggerName().startsWith("mockwebserver")
                || e.getLoggerName().startsWith("okhttp3")) {
            return;
        }
        texts.add(e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage());
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
            texts.add(t.getClassName() + ": " + t.getMessage());
        }
    }

    /** Something else to scan (an HTTP body, a message). */
    synchronized void saw(String text) {
        texts.add(text);
    }

    synchronized List<String> lines() {
        return List.copyOf(texts);
    }

    /** No text contains any of {@code secrets}, nor a JWT. */
    synchronized void assertNoneOf(Collection<String> secrets) {
        assertThat(texts).as("captured texts").isNotEmpty();
        for (String text : texts) {
            for (String s : secrets) {
                assertThat(text).as("a captured text").doesNotContain(s);
            }
            assertThat(JWT.matcher(text).find()).as("a JWT in: %s", text.substring(0, Math.min(200, text.length()))).isFalse();
        }
    }

    @Override
    public void close() {
        root.detachAppender(this);
        ours.setLevel(oursBefore);
        stop();
    }
}
