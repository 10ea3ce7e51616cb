package dev.tokenkeeper.runnable.localstore;

import dev.tokenkeeper.domain.spi.Lease;
import dev.tokenkeeper.domain.spi.SealedToken;
import dev.tokenkeeper.domain.spi.StoreKey;
import dev.tokenkeeper.domain.spi.TokenStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;

/**
 * The CLI's token store: one file of sealed tokens in the user's token directory, no database.
 *
 * <h2>Layout</h2>
 * {@value #FILE_NAME} holds every entry and every lease of the directory: a magic number, then
 * records of (store key, expiry as seconds and nanoseconds, sealed bytes) and (store key, lease
 * owner, lease end). The bytes of a token are sealed by the application before they get here; this
 * class never sees a token in clear.
 *
 * <h2>Atomic writes</h2>
 * Every change writes the whole content to a new 0600 temporary file in the same directory, forces
 * it to disk and renames it over the file ({@code ATOMIC_MOVE}): a reader in any process sees the old
 * content or the new, never a mix, and takes no lock to read.
 *
 * <h2>One writer at a time</h2>
 * A change is read-modify-write under an advisory lock ({@link FileChannel#lock}) on
 * {@value #LOCK_NAME}, held for the few milliseconds of one change, not for a whole run. A process
 * that cannot get it within the lock wait gets an {@link UncheckedIOException} saying so, which the
 * manager turns into a miss. Threads of one process are serialised by a lock per directory first,
 * since the JVM refuses two overlapping file locks of its own.
 *
 * <h2>Damaged or foreign content</h2>
 * A file that cannot be parsed is treated as empty (every key a miss) and replaced by the next
 * change. A file or lock file that is a symbolic link, not a regular file, or belongs to another
 * user is refused (see {@link OwnerOnly}): reading it throws, writing it never happens.
 *
 * <p>Thread-safe.
 */
public final class SealedFileStore implements TokenStore {

    /** The token file's name in the token directory. */
    public static final String FILE_NAME = dev.tokenkeeper.bootstrap.persistence.LocalFiles.SEALED_FILE;

    /** The lock file's name in the token directory. */
    public static final String LOCK_NAME = "tokens.lock";

    /** The default wait for another process's change: changes take milliseconds, so this is generous. */
    public static final Duration DEFAULT_LOCK_WAIT = Duration.ofSeconds(5);

    private static final int MAGIC = 0x544B5331; // "TKS1"
    private static final int MAX_BYTES = 64 * 1024 * 1024;
    private static final long LOCK_POLL_MILLIS = 5;
    private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();
    private static final Set<OpenOption> LOCK_OPEN = Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS);

    private final Path directory;
    private final Path file;
    private final Path lockFile;
    private final InstantSource clock;
    private final Duration lockWait;
    private final ReentrantLock threads;

    private SealedFileStore(Path directory, InstantSource clock, Duration lockWait) {
        this.directory = directory.toAbsolutePath().normalize();
        this.file = this.directory.resolve(FILE_NAME);
        this.lockFile = this.directory.resolve(LOCK_NAME);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.lockWait = Objects.requireNonNull(lockWait, "lockWait");
        this.threads = IN_PROCESS.computeIfAbsent(this.directory, d -> new ReentrantLock());
    }

    /**
     * Opens the store in {@code directory}, making the directory (0700) if needed.
     *
     * @throws OwnerOnly.Refused if the directory, the file or the lock file is a link or another user's
     * @throws IOException if the directory cannot be made
     */
    public static SealedFileStore open(Path directory, InstantSource clock, Duration lockWait) throws IOException {
        OwnerOnly.directory(directory);
        SealedFileStore s = new SealedFileStore(directory, clock, lockWait);
        s.checkOwn(s.file);
        s.checkOwn(s.lockFile);
        return s;
    }

    /** The token file. */
    public Path file() {
        return file;
    }

    @Override
    public Optional<SealedToken> load(StoreKey key) {
        Objects.requireNonNull(key, "key");
        Entry e = read().tokens.get(key.value());
        if (e == null || !clock.instant().isBefore(e.expiresAt)) {
            return Optional.empty();
        }
        return Optional.of(new SealedToken(e.bytes, e.expiresAt));
    }

    /**
     * The live sealed token under {@code key} in {@code directory}'s token file, read without a lock
     * and without creating anything: the CLI's fast path. Empty if there is no file, it is damaged,
     * or holds no live entry for the key.
     *
     * @throws OwnerOnly.Refused if the file is a link or another user's
     */
    public static Optional<SealedToken> peek(Path directory, StoreKey key, Instant now) throws IOException {
        Path f = directory.resolve(FILE_NAME);
        if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        OwnerOnly.requireOwnFile(f);
        Entry e = parse(readBytes(f)).tokens.get(key.value());
        return e == null || !now.isBefore(e.expiresAt) ? Optional.empty() : Optional.of(new SealedToken(e.bytes, e.expiresAt));
    }

    @Override
    public void save(StoreKey key, SealedToken token) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(token, "token");
        change(c -> {
            c.tokens.put(key.value(), new Entry(token.bytes(), token.expiresAt()));
            return true;
        });
    }

    @Override
    public boolean delete(StoreKey key) {
        Objects.requireNonNull(key, "key");
        Instant now = clock.instant();
        return change(c -> {
            Entry e = c.tokens.remove(key.value());
            return e != null && now.isBefore(e.expiresAt);
        });
    }

    @Override
    public Optional<Lease> tryLease(StoreKey key, Duration ttl) {
        Objects.requireNonNull(key, "key");
        requirePositive(ttl);
        String owner = HexFormat.of().formatHex(randomBytes());
        Instant now = clock.instant();
        boolean taken = change(c -> {
            Held h = c.leases.get(key.value());
            if (h != null && now.isBefore(h.until)) {
                return false;
            }
            c.leases.put(key.value(), new Held(owner, now.plus(ttl)));
            return true;
        });
        return taken ? Optional.of(new Lease(key, owner)) : Optional.empty();
    }

    @Override
    public boolean release(Lease lease) {
        Objects.requireNonNull(lease, "lease");
        Instant now = clock.instant();
        return change(c -> {
            Held h = c.leases.get(lease.key().value());
            if (h == null || !h.owner.equals(lease.owner()) || !now.isBefore(h.until)) {
                return false;
            }
            c.leases.remove(lease.key().value());
            return true;
        });
    }

    @Override
    public boolean extend(Lease lease, Duration ttl) {
        Objects.requireNonNull(lease, "lease");
        requirePositive(ttl);
        Instant now = clock.instant();
        return change(c -> {
            Held h = c.leases.get(lease.key().value());
            if (h == null || !h.owner.equals(lease.owner()) || !now.isBefore(h.until)) {
                return false;
            }
            c.leases.put(lease.key().value(), new Held(h.owner, now.plus(ttl)));
            return true;
        });
    }

    @Override
    public void forEach(BiConsumer<StoreKey, SealedToken> action) {
        Instant now = clock.instant();
        read().tokens.forEach((k, e) -> {
            if (now.isBefore(e.expiresAt)) {
                action.accept(new StoreKey(k), new SealedToken(e.bytes, e.expiresAt));
            }
        });
    }

    @Override
    public boolean isPersistent() {
        return true;
    }

    @Override
    public String toString() {
        return "SealedFileStore[" + file + "]";
    }

    // ---- file access ----

    private interface Change {
        /** Changes {@code content}; returns the call's result. The file is written only if it returns true. */
        boolean apply(Content content);
    }

    private Content read() {
        try {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                return new Content();
            }
            OwnerOnly.requireOwnFile(file);
            return parse(readBytes(file));
        } catch (NoSuchFileException e) {
            return new Content();
        } catch (IOException e) {
            throw new UncheckedIOException("token file " + file + ": " + e.getMessage(), e);
        }
    }

    private boolean change(Change change) {
        long deadline = System.nanoTime() + lockWait.toNanos();
        try {
            if (!threads.tryLock(lockWait.toNanos(), TimeUnit.NANOSECONDS)) {
                throw timeout();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while waiting for the token file's lock"));
        }
        try {
            checkOwn(lockFile);
            try (FileChannel ch = FileChannel.open(lockFile, LOCK_OPEN, OwnerOnly.attributes(OwnerOnly.FILE))) {
                checkOwn(lockFile); // created now: still ours, still no link
                FileLock lock = acquire(ch, deadline);
                try {
                    Content c = read();
                    c.dropExpired(clock.instant());
                    boolean result = change.apply(c);
                    write(c);
                    return result;
                } finally {
                    lock.release();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("token file " + file + ": " + e.getMessage(), e);
        } finally {
            threads.unlock();
        }
    }

    private FileLock acquire(FileChannel ch, long deadline) throws IOException {
        while (true) {
            FileLock lock = ch.tryLock();
            if (lock != null) {
                return lock;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw timeout();
            }
            try {
                Thread.sleep(LOCK_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for the lock on " + lockFile);
            }
        }
    }

    private UncheckedIOException timeout() {
        return new UncheckedIOException(new IOException("another process has held the lock on " + lockFile + " for more than "
                + lockWait.toMillis() + " ms; if no tokenkeeper is running, remove the lock file"));
    }

    private void write(Content c) throws IOException {
        byte[] bytes = c.toBytes();
        Path tmp = Files.createTempFile(directory, ".tokens-", ".tmp", OwnerOnly.attributes(OwnerOnly.FILE));
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    out.write(b);
                }
                out.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            forceDirectory();
        } finally {
            if (tmp != null) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Makes the rename durable where the platform allows opening a directory. */
    private void forceDirectory() {
        try (FileChannel d = FileChannel.open(directory, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every platform lets a directory be opened; the rename itself is still atomic
        }
    }

    private void checkOwn(Path p) throws IOException {
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(p)) {
            OwnerOnly.requireOwnFile(p);
            OwnerOnly.narrow(p, OwnerOnly.FILE);
        }
    }

    private static byte[] readBytes(Path f) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            long size = ch.size();
            if (size > MAX_BYTES) {
                return new byte[0]; // not ours: a miss
            }
            ByteBuffer b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // reading
            }
            return b.array();
        }
    }

    /** Parses the file's bytes; anything malformed is an empty content (every key a miss). */
    static Content parse(byte[] bytes) {
        Content c = new Content();
        if (bytes.length == 0) {
            return c;
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readInt() != MAGIC) {
                return new Content();
            }
            int tokens = in.readInt();
            for (int i = 0; i < tokens; i++) {
                String key = in.readUTF();
                Instant at = Instant.ofEpochSecond(in.readLong(), in.readInt());
                int n = in.readInt();
                if (n <= 0 || n > bytes.length) {
                    return new Content();
                }
                byte[] b = in.readNBytes(n);
                if (b.length != n) {
                    return new Content();
                }
                c.tokens.put(key, new Entry(b, at));
            }
            int leases = in.readInt();
            for (int i = 0; i < leases; i++) {
                c.leases.put(in.readUTF(), new Held(in.readUTF(), Instant.ofEpochSecond(in.readLong(), in.readInt())));
            }
            if (in.read() != -1) {
                return new Content();
            }
            return c;
        } catch (IOException | RuntimeException e) {
            return new Content();
        }
    }

    private static void requirePositive(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a lease's time to live must be positive, was " + ttl);
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[16];
        Random.SOURCE.nextBytes(b);
        return b;
    }

    /** Made on first use: a cached read (the CLI's short path) needs no randomness. */
    private static final class Random {
        static final SecureRandom SOURCE = new SecureRandom();
    }

    private record Entry(byte[] bytes, Instant expiresAt) {}

    private record Held(String owner, Instant until) {}

    /** The file's content, in memory. */
    static final class Content {
        final Map<String, Entry> tokens = new LinkedHashMap<>();
        final Map<String, Held> leases = new LinkedHashMap<>();

        void dropExpired(Instant now) {
            tokens.values().removeIf(e -> !now.isBefore(e.expiresAt));
            leases.values().removeIf(h -> !now.isBefore(h.until));
        }

        int size() {
            return tokens.size();
        }

        byte[] toBytes() throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeInt(MAGIC);
                out.writeInt(tokens.size());
                for (var t : tokens.entrySet()) {
                    out.writeUTF(t.getKey());
                    out.writeLong(t.getValue().expiresAt.getEpochSecond());
                    out.writeInt(t.getValue().expiresAt.getNano());
                    out.writeInt(t.getValue().bytes.length);
                    out.write(t.getValue().bytes);
                }
                out.writeInt(leases.size());
                for (var l : leases.entrySet()) {
                    out.writeUTF(l.getKey());
                    out.writeUTF(l.getValue().owner);
                    out.writeLong(l.getValue().until.getEpochSecond());
                    out.writeInt(l.getValue().until.getNano());
                }
            }
            return bytes.toByteArray();
        }
    }
}
