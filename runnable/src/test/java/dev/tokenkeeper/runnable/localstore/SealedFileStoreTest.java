package dev.tokenkeeper.runnable.localstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the single-file store promises beyond the store contract: atomicity across processes, a bounded lock, owner-only files. */
class SealedFileStoreTest {

    private static final StoreKey KEY = new StoreKey("k1");
    private static final Instant START = Instant.parse("2030-01-01T00:00:00Z");

    @TempDir
    Path tmp;

    private final AtomicReference<Instant> now = new AtomicReference<>(START);

    private SealedFileStore open(Path dir, Duration lockWait) throws IOException {
        return SealedFileStore.open(dir, now::get, lockWait);
    }

    private static SealedToken token(String text) {
        return new SealedToken(text.getBytes(StandardCharsets.UTF_8), START.plusSeconds(3600));
    }

    @Test
    @DisplayName("the directory is 0700, the token and lock files 0600, and no temporary file is left")
    void ownerOnly() throws IOException {
        Path dir = tmp.resolve("tk");
        open(dir, Duration.ofSeconds(5)).save(KEY, token("sealed"));
        assertThat(mode(dir)).isEqualTo("rwx------");
        assertThat(mode(dir.resolve(SealedFileStore.FILE_NAME))).isEqualTo("rw-------");
        assertThat(mode(dir.resolve(SealedFileStore.LOCK_NAME))).isEqualTo("rw-------");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder(SealedFileStore.FILE_NAME, SealedFileStore.LOCK_NAME);
        }
    }

    @Test
    @DisplayName("a damaged file is a miss, and the next save replaces it with a readable one")
    void corruptIsMissAndReplaced() throws IOException {
        Path dir = tmp.resolve("tk");
        SealedFileStore store = open(dir, Duration.ofSeconds(5));
        store.save(KEY, token("first"));
        Path file = dir.resolve(SealedFileStore.FILE_NAME);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 3)); // truncated mid-token
        assertThat(store.load(KEY)).isEmpty();
        Files.write(file, "garbage, not a token file".getBytes(StandardCharsets.UTF_8));
        assertThat(store.load(KEY)).isEmpty();
        assertThat(SealedFileStore.peek(dir, KEY, now.get())).isEmpty();

        store.save(KEY, token("second"));
        assertThat(store.load(KEY)).contains(token("second"));
        assertThat(SealedFileStore.peek(dir, KEY, now.get())).contains(token("second"));
    }

    @Test
    @DisplayName("a symbolic link as the token file is refused and its target left alone")
    void symlinkRefused() throws IOException {
        Path dir = tmp.resolve("tk");
        Files.createDirectories(dir);
        Path target = Files.writeString(tmp.resolve("elsewhere"), "keep");
        Files.createSymbolicLink(dir.resolve(SealedFileStore.FILE_NAME), target);
        assertThatThrownBy(() -> open(dir, Duration.ofSeconds(5))).isInstanceOf(OwnerOnly.Refused.class)
                .hasMessageContaining("is a symbolic link");
        assertThatThrownBy(() -> SealedFileStore.peek(dir, KEY, now.get())).hasMessageContaining("is a symbolic link");
        assertThat(Files.readString(target)).isEqualTo("keep");
    }

    @Test
    @DisplayName("a symbolic link as the lock file is refused when a change would open it")
    void symlinkLockRefused() throws IOException {
        Path dir = tmp.resolve("tk");
        SealedFileStore store = open(dir, Duration.ofSeconds(5));
        Path target = Files.writeString(tmp.resolve("elsewhere"), "keep");
        Files.createSymbolicLink(dir.resolve(SealedFileStore.LOCK_NAME), target);
        assertThatThrownBy(() -> store.save(KEY, token("t"))).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("is a symbolic link");
        assertThat(Files.readString(target)).isEqualTo("keep");
        assertThat(Files.exists(dir.resolve(SealedFileStore.FILE_NAME))).isFalse();
    }

    @Test
    @DisplayName("a token file of another user is refused")
    void foreignOwnerRefused() throws IOException {
        var nobody = TokenDirectoryOwnershipIT.nobody(); // skipped unless root
        Path dir = tmp.resolve("tk");
        open(dir, Duration.ofSeconds(5)).save(KEY, token("t"));
        Files.setOwner(dir.resolve(SealedFileStore.FILE_NAME), nobody);
        assertThatThrownBy(() -> open(dir, Duration.ofSeconds(5))).isInstanceOf(OwnerOnly.Refused.class)
                .hasMessageContaining("belongs to another user");
        assertThatThrownBy(() -> SealedFileStore.peek(dir, KEY, now.get())).hasMessageContaining("belongs to another user");
    }

    @Test
    @DisplayName("a change waits a bounded time for another process's lock, then fails saying so; reads never wait")
    void lockTimeout() throws Exception {
        Path dir = tmp.resolve("tk");
        SealedFileStore store = open(dir, Duration.ofMillis(300));
        store.save(KEY, token("before"));
        Process holder = java(LockHolder.class, dir.resolve(SealedFileStore.LOCK_NAME).toString());
        try {
            assertThat(new String(holder.getInputStream().readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("locked");
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> store.save(KEY, token("during"))).isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("held the lock on").hasMessageContaining("300 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            assertThat(store.load(KEY)).as("a read takes no lock").contains(token("before"));
        } finally {
            holder.getOutputStream().close(); // the holder lets go when its input ends
            assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        store.save(KEY, token("after"));
        assertThat(store.load(KEY)).contains(token("after"));
    }

    @Test
    @DisplayName("two processes saving at once: every read of the file finds one whole token, never a mix or a miss")
    void atomicAcrossProcesses() throws Exception {
        Path dir = tmp.resolve("tk");
        SealedFileStore reader = open(dir, Duration.ofSeconds(5));
        reader.save(KEY, token(Writer.text("seed", 0)));
        List<Process> writers = new ArrayList<>();
        for (String name : List.of("a", "b")) {
            writers.add(java(Writer.class, dir.toString(), name, "200"));
        }
        int reads = 0;
        while (writers.stream().anyMatch(Process::isAlive)) {
            Optional<SealedToken> t = reader.load(KEY);
            assertThat(t).as("never a miss while writers race").isPresent();
            assertThat(new String(t.get().bytes(), StandardCharsets.UTF_8)).matches(Writer.WHOLE);
            reads++;
        }
        for (Process w : writers) {
            assertThat(w.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(w.exitValue()).as(new String(w.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        }
        assertThat(reads).isPositive();
        assertThat(new String(reader.load(KEY).orElseThrow().bytes(), StandardCharsets.UTF_8)).matches(Writer.WHOLE);
        try (var files = Files.list(dir)) {
            assertThat(files.filter(p -> p.getFileName().toString().endsWith(".tmp"))).as("no temporary file left").isEmpty();
        }
    }

    private static Process java(Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).start();
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    /** Holds an advisory lock on its argument until its standard input ends. */
    static final class LockHolder {
        public static void main(String[] args) throws IOException {
            try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    var lock = ch.lock()) {
                System.out.print("locked");
                System.out.flush();
                System.in.readAllBytes();
            }
        }
    }

    /** Saves {@code count} tokens of varying length under one key, as a racing CLI run would. */
    static final class Writer {
        static final String WHOLE = "<([a-z]+)-([0-9]+)-(x*)>";

        static String text(String name, int i) {
            return "<" + name + "-" + i + "-" + "x".repeat((i * 37) % 4000) + ">";
        }

        public static void main(String[] args) throws IOException {
            SealedFileStore store = SealedFileStore.open(Path.of(args[0]), () -> START, Duration.ofSeconds(30));
            for (int i = 0; i < Integer.parseInt(args[2]); i++) {
                store.save(KEY, token(text(args[1], i)));
            }
        }
    }
}
