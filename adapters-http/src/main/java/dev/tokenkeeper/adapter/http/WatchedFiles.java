package dev.tokenkeeper.adapter.http;

import dev.tokenkeeper.domain.ConfigurationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Key material parsed from one or more files, parsed again when any file's modification time, size
 * or file key changes (a rewrite in place, or a new file renamed over it as Kubernetes does), so a
 * rotated key or certificate is used without a restart. A file that is briefly missing, unreadable,
 * readable by others or unparseable during a rotation keeps the last good value in use; at
 * construction any of these is a {@link ConfigurationException} that names the file and never its
 * content. Key files must be readable by their owner only (POSIX {@code 0600} or {@code 0400}),
 * as the client secret's store is. Thread-safe; {@link #current()} costs one {@code stat} per file.
 *
 * @param <T> the parsed value
 */
final class WatchedFiles<T> {

    /** Parses the files' bytes, in the order given; throws with a message that names no content. */
    @FunctionalInterface
    interface Parser<T> {
        T parse(List<byte[]> contents) throws Exception;
    }

    private final String what;
    private final List<Path> files;
    private final Set<Path> ownerOnly;
    private final Parser<T> parser;
    private volatile State<T> state;

    private record State<T>(T value, List<Stamp> stamps, long version) {}

    private record Stamp(Object modified, long size, Object fileKey) {
        static Stamp of(BasicFileAttributes a) {
            return new Stamp(a.lastModifiedTime(), a.size(), a.fileKey());
        }
    }

    /**
     * @param what what the files hold, for messages ("the client assertion key")
     * @param files the files, read in this order
     * @param ownerOnly those of {@code files} that hold private keys and must be owner-only
     */
    WatchedFiles(String what, List<Path> files, Set<Path> ownerOnly, Parser<T> parser) {
        this.what = what;
        this.files = List.copyOf(files);
        this.ownerOnly = Set.copyOf(ownerOnly);
        this.parser = Objects.requireNonNull(parser);
        try {
            this.state = read(0);
        } catch (ConfigurationException e) {
            throw e;
        }
    }

    /** The value parsed from the files as they are now (parsed again if one changed). */
    T current() {
        State<T> s = state;
        try {
            if (!s.stamps().equals(stamps())) {
                refresh();
            }
        } catch (IOException | RuntimeException e) {
            // missing for a moment during a rotation: keep the last good value
        }
        return state.value();
    }

    /** Moves each time a new value is parsed. */
    long version() {
        current();
        return state.version();
    }

    /** Reads the files again now (after the server rejected the client); whether the value changed. */
    boolean reload() {
        long before = state.version();
        refresh();
        return state.version() != before;
    }

    private synchronized void refresh() {
        try {
            State<T> s = state;
            List<Stamp> now = stamps();
            if (!now.equals(s.stamps())) {
                state = read(s.version() + 1);
            }
        } catch (IOException | RuntimeException e) {
            // keep the last good value; the next use looks again
        }
    }

    private List<Stamp> stamps() throws IOException {
        List<Stamp> stamps = new ArrayList<>(files.size());
        for (Path f : files) {
            stamps.add(Stamp.of(Files.readAttributes(f, BasicFileAttributes.class)));
        }
        return stamps;
    }

    private State<T> read(long version) {
        List<byte[]> contents = new ArrayList<>(files.size());
        List<Stamp> stamps = new ArrayList<>(files.size());
        for (Path f : files) {
            try {
                BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
                if (ownerOnly.contains(f)) {
                    checkOwnerOnly(f);
                }
                stamps.add(Stamp.of(a));
                contents.add(Files.readAllBytes(f));
            } catch (NoSuchFileException e) {
                throw new ConfigurationException(what + " file " + f + " does not exist");
            } catch (IOException e) {
                throw new ConfigurationException(what + " file " + f + " cannot be read (" + e.getClass().getSimpleName() + ")");
            }
        }
        try {
            return new State<>(parser.parse(contents), List.copyOf(stamps), version);
        } catch (ConfigurationException e) {
            throw e;
        } catch (Exception e) {
            // the parsers' messages name formats, never content; JDK and Nimbus messages may quote bytes, so not those
            throw new ConfigurationException(what + " in " + files + " cannot be used: " + safeMessage(e));
        }
    }

    private static String safeMessage(Exception e) {
        return e instanceof IllegalArgumentException && e.getMessage() != null && e.getMessage().startsWith("tokenkeeper: ")
                ? e.getMessage().substring("tokenkeeper: ".length())
                : "not a supported format (" + e.getClass().getSimpleName() + ")";
    }

    private void checkOwnerOnly(Path f) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(f, PosixFileAttributeView.class);
        if (view == null) {
            return; // not a POSIX file system: nothing to check against
        }
        Set<PosixFilePermission> p = view.readAttributes().permissions();
        for (PosixFilePermission bad : List.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE)) {
            if (p.contains(bad)) {
                throw new ConfigurationException(what + " file " + f + " must be readable by its owner only (chmod 600), "
                        + "it allows " + bad.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
            }
        }
    }

    @Override
    public String toString() {
        return what + " " + files;
    }
}
