package dev.tokenkeeper.runnable.sink;

import dev.tokenkeeper.bootstrap.SinkConfig;
import dev.tokenkeeper.domain.AccessToken;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One sink's file, written so that a reader sees either the previous complete file or the new
 * complete file, never a mixture, an empty file or a wider mode: a temporary file beside it (same
 * directory, so the rename is atomic) is created owner-only with {@code O_EXCL} and without following
 * links, given the configured group and then exactly the configured mode, filled, fsynced, and renamed
 * over the target ({@link StandardCopyOption#ATOMIC_MOVE}, {@code rename(2)}), after which the
 * directory is fsynced so that the rename survives a power cut. A target that is a symbolic link or a
 * directory is refused (never written through, never replaced). A process killed mid-write leaves
 * the previous file and a temporary file of a name no reader looks for
 * ({@code .<file>.tk-<random>.tmp}), which the next start removes.
 *
 * <p>Confined to the sinks' one writer thread.
 */
final class SinkFile {

    /**
     * Test seam: runs after the temporary file is complete and fsynced, before the rename (the
     * crash test pauses a serving process here and kills it). Production code never sets it.
     */
    static volatile Consumer<Path> afterTempWritten = tmp -> {};

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

    private final SinkConfig config;
    private final Path target;
    private final Path directory;
    private final String tempPrefix;

    SinkFile(SinkConfig config) {
        this.config = config;
        this.target = config.path();
        this.directory = target.getParent();
        this.tempPrefix = "." + target.getFileName() + ".tk-";
    }

    SinkConfig config() {
        return config;
    }

    /** What the file holds for {@code token}, in the sink's format. */
    static String render(SinkConfig config, AccessToken token) {
        String value = token.value().reveal();
        return switch (config.format()) {
            case RAW -> value + "\n";
            case JSON -> new JsonObject()
                    .put("access_token", value)
                    .put("token_type", token.tokenType())
                    .put("expires_at", token.expiresAt().toString())
                    .encode() + "\n";
            // a token is base64url/JWT text: nothing a shell or --env-file would need quoted
            case ENV -> config.envName() + "=" + value + "\n"
                    + config.envName() + "_EXPIRES_AT=" + token.expiresAt() + "\n";
        };
    }

    /**
     * Replaces the file with {@code token}, atomically.
     *
     * @throws SinkException if the target is a link or a directory, or the file system refuses
     */
    void write(AccessToken token) {
        refuseLinkOrDirectory();
        byte[] content = render(config, token).getBytes(StandardCharsets.UTF_8);
        Path tmp = directory.resolve(tempPrefix + HexFormat.of().formatHex(randomBytes()) + ".tmp");
        boolean renamed = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(OWNER_ONLY))) {
                PosixFileAttributeView view = Files.getFileAttributeView(tmp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
                if (config.group() != null) {
                    GroupPrincipal group = FileSystems.getDefault().getUserPrincipalLookupService()
                            .lookupPrincipalByGroupName(config.group());
                    view.setGroup(group);
                }
                view.setPermissions(config.mode()); // exactly: the umask narrowed the creation, never this
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            afterTempWritten.accept(tmp);
            refuseLinkOrDirectory(); // it may have changed while the file was written
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            renamed = true;
            syncDirectory();
        } catch (IOException e) {
            throw new SinkException("sink " + config.name() + ": cannot write " + target + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        } finally {
            if (!renamed) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // removed at the next start (removeLeftovers)
                }
            }
        }
    }

    /** Removes the file (on shutdown, when so configured); a link or directory there is left alone. */
    void delete() {
        try {
            if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(target);
                syncDirectory();
            }
        } catch (IOException e) {
            throw new SinkException("sink " + config.name() + ": cannot delete " + target + " (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** Removes temporary files a killed process left beside the target (they hold tokens too). */
    int removeLeftovers() {
        int removed = 0;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, tempPrefix + "*.tmp")) {
            for (Path leftover : stream) {
                if (Files.isRegularFile(leftover, LinkOption.NOFOLLOW_LINKS) && Files.deleteIfExists(leftover)) {
                    removed++;
                }
            }
        } catch (IOException e) {
            // best effort: a directory that cannot be listed fails the first write with a clear message
        }
        return removed;
    }

    private void refuseLinkOrDirectory() {
        if (Files.isSymbolicLink(target)) {
            throw new SinkException("sink " + config.name() + ": " + target + " is a symbolic link; a sink never writes "
                    + "through or replaces a link: remove it, or name the real file in sinks." + config.name() + ".path");
        }
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new SinkException("sink " + config.name() + ": " + target + " is a directory: name a file in sinks."
                    + config.name() + ".path");
        }
    }

    private void syncDirectory() {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // a file system that cannot sync a directory still renamed atomically; durability is all that is lost
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return b;
    }

    /** A sink file cannot be written or removed; the message names the sink and the path, never a token. */
    static final class SinkException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SinkException(String message, Throwable cause) {
            super(message, cause);
        }

        SinkException(String message) {
            super(message);
        }
    }
}
