package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.domain.ConfigurationException;
import dev.tokenkeeper.domain.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;

/**
 * A secret in a file, read again when the file's modification time, size or file key changes (a
 * rewrite in place, or a new file renamed over it as Kubernetes does with its {@code ..data}
 * link). A file that is briefly missing, unreadable or empty during a rotation keeps the last
 * good secret in use. Thread-safe.
 */
final class FileSecretSource implements SecretSource {

    private final Path file;
    private volatile State state;

    /** The secret and the file attributes it was read with. */
    private record State(Secret secret, FileTime modified, long size, Object fileKey) {
        boolean matches(BasicFileAttributes a) {
            return a.lastModifiedTime().equals(modified) && a.size() == size && Objects.equals(a.fileKey(), fileKey);
        }
    }

    FileSecretSource(Path file) {
        this.file = file;
        try {
            State first = read();
            if (first == null) {
                throw new ConfigurationException("the secret file " + file + " is empty");
            }
            this.state = first;
        } catch (IOException | RuntimeException e) {
            if (e instanceof ConfigurationException ce) {
                throw ce;
            }
            throw new ConfigurationException("the secret file " + file + " cannot be read (" + e.getClass().getSimpleName() + ")");
        }
    }

    @Override
    public Secret current() {
        State s = state;
        try {
            if (!s.matches(Files.readAttributes(file, BasicFileAttributes.class))) {
                refresh();
            }
        } catch (IOException | RuntimeException e) {
            // missing for a moment during a rotation: keep sending the last good secret
        }
        return state.secret();
    }

    @Override
    public boolean reload() {
        Secret before = state.secret();
        refresh();
        return !state.secret().equals(before);
    }

    private synchronized void refresh() {
        try {
            State next = read();
            if (next != null) {
                state = next;
            }
        } catch (IOException | RuntimeException e) {
            // keep the last good secret; the next request looks again
        }
    }

    /** The file's secret and attributes, or null if it holds only white space. */
    private State read() throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        String value = SecretSource.clean(Files.readString(file, StandardCharsets.UTF_8));
        return value == null ? null : new State(Secret.of(value), a.lastModifiedTime(), a.size(), a.fileKey());
    }

    @Override
    public String toString() {
        return "SecretSource[file " + file + "]";
    }
}
