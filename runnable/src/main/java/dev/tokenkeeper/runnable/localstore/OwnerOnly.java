package dev.tokenkeeper.runnable.localstore;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Owner-only directories (0700) and files (0600), owned by the user running tokenkeeper and never
 * reached through a symbolic link. Java cannot set the process umask, and H2 creates its files with
 * it, so files are created here first with the right mode (H2 then writes into them and keeps the
 * mode) and checked again after use.
 *
 * <p>Every look at a path here is {@link LinkOption#NOFOLLOW_LINKS no-follow}: a link in place of
 * the directory, the database or the key file is {@link Refused refused}, never followed, created
 * through, or chmod'ed. So is a directory or file that another user owns, since that user could
 * change what tokenkeeper reads (a database that runs code, a key of their choosing). The
 * directory's parents are the user's business and may be links.
 *
 * <p>Where the file system has no POSIX permissions (Windows) no mode or owner is checked: the
 * user's profile directory is what protects the files there; links are still refused.
 */
final class OwnerOnly {

    static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    /** The user id of this process, where the platform has one. */
    private static final OptionalLong CURRENT_UID = currentUid();

    /** A path tokenkeeper will not use, and why; the message names the path and is safe to print. */
    static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;

        Refused(Path path, String why) {
            super(path + " " + why);
        }
    }

    private OwnerOnly() {}

    static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }

    /**
     * Creates {@code dir} (and its parents, with default modes) if absent; checks it is a directory
     * of this user's, not a link, and makes it 0700.
     *
     * @return whether an existing directory's mode had to be narrowed
     * @throws Refused if it is a link, not a directory, or owned by another user
     */
    static boolean directory(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try {
            Files.createDirectory(dir, attributes(DIRECTORY));
        } catch (FileAlreadyExistsException e) {
            // checked below, without following a link
        }
        BasicFileAttributes a = Files.readAttributes(dir, BasicFileAttributes.class, NOFOLLOW);
        if (a.isSymbolicLink()) {
            throw new Refused(dir, "is a symbolic link; tokenkeeper follows no link to its token directory "
                    + "(name the real directory instead)");
        }
        if (!a.isDirectory()) {
            throw new Refused(dir, "is not a directory");
        }
        requireOwner(dir);
        return narrow(dir, DIRECTORY);
    }

    /**
     * Whether {@code dir} and every entry directly in it already are what {@link #directory} and
     * {@link #entries} would accept and leave unchanged: a real directory of this user's, nothing
     * in it a link or another user's, and nothing open to group or others. Changes nothing; any
     * doubt is false (the caller then takes the path that checks, narrows and reports).
     */
    static boolean alreadyPrivate(Path dir) {
        try {
            BasicFileAttributes a = Files.readAttributes(dir, BasicFileAttributes.class, NOFOLLOW);
            if (a.isSymbolicLink() || !a.isDirectory() || sharedWithOthers(dir)) {
                return false;
            }
            requireOwner(dir);
            entries(dir);
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path p : entries) {
                    if (sharedWithOthers(p)) {
                        return false;
                    }
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Checks every entry directly in {@code dir}: none may be a link or belong to another user.
     *
     * @throws Refused naming the first entry that fails
     */
    static void entries(Path dir) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                try {
                    if (Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW).isSymbolicLink()) {
                        throw new Refused(p, "is a symbolic link; tokenkeeper follows no link in its token directory "
                                + "(remove it)");
                    }
                    requireOwner(p);
                } catch (NoSuchFileException gone) {
                    // another process's temporary file, gone since the listing
                }
            }
        }
    }

    /**
     * Creates {@code file} empty with mode 0600 unless it exists; an existing file must be a regular
     * file of this user's (not a link) and is narrowed to 0600.
     *
     * @return whether the file was created by this call
     * @throws Refused if an existing entry is a link, not a regular file, or owned by another user
     */
    static boolean file(Path file) throws IOException {
        try {
            // O_CREAT|O_EXCL: never creates through a link, not even a dangling one
            Files.createFile(file, attributes(FILE));
            narrow(file, FILE); // the umask only ever removes bits, but make the mode exact
            return true;
        } catch (FileAlreadyExistsException e) {
            requireOwnFile(file);
            narrow(file, FILE);
            return false;
        }
    }

    /**
     * Checks that {@code file} is a regular file of this user's and not a link.
     *
     * @throws Refused if it is not
     */
    static void requireOwnFile(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class, NOFOLLOW);
        if (a.isSymbolicLink()) {
            throw new Refused(file, "is a symbolic link; tokenkeeper follows no link in its token directory (replace it "
                    + "with the file itself, or remove it)");
        }
        if (!a.isRegularFile()) {
            throw new Refused(file, "is not a regular file");
        }
        requireOwner(file);
    }

    /** Whether group or others have any permission on {@code path} (not followed); false without POSIX permissions. */
    static boolean sharedWithOthers(Path path) throws IOException {
        if (!posix()) {
            return false;
        }
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(path, NOFOLLOW);
        return p.stream().anyMatch(OTHERS::contains);
    }

    /** The mode of {@code path} as {@code rw-------}, or "n/a". */
    static String describe(Path path) {
        try {
            return posix() ? PosixFilePermissions.toString(Files.getPosixFilePermissions(path, NOFOLLOW)) : "n/a";
        } catch (IOException e) {
            return "unreadable";
        }
    }

    /**
     * Sets {@code mode} if group or others have anything; returns whether it did. Never through a link:
     * the mode of a link's target is not changed (the call fails instead).
     */
    static boolean narrow(Path path, Set<PosixFilePermission> mode) throws IOException {
        if (!sharedWithOthers(path)) {
            return false;
        }
        Files.getFileAttributeView(path, PosixFileAttributeView.class, NOFOLLOW).setPermissions(mode);
        return true;
    }

    static FileAttribute<?>[] attributes(Set<PosixFilePermission> mode) {
        return posix() ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)} : new FileAttribute<?>[0];
    }

    /** Refuses {@code path} (not followed) unless this process's user owns it; nothing to check without uids. */
    private static void requireOwner(Path path) throws IOException {
        if (CURRENT_UID.isEmpty() || !FileSystems.getDefault().supportedFileAttributeViews().contains("unix")) {
            return;
        }
        long owner = ((Number) Files.getAttribute(path, "unix:uid", NOFOLLOW)).longValue();
        if (owner != CURRENT_UID.getAsLong()) {
            throw new Refused(path, "belongs to another user (uid " + owner + ", not " + CURRENT_UID.getAsLong()
                    + ", who runs tokenkeeper); tokenkeeper uses only a token directory and files of the user's own "
                    + "(that user could put code or a key of their choosing there)");
        }
    }

    private static OptionalLong currentUid() {
        try {
            return OptionalLong.of(new com.sun.security.auth.module.UnixSystem().getUid());
        } catch (LinkageError | RuntimeException notUnix) {
            return OptionalLong.empty(); // Windows, or a runtime without jdk.security.auth
        }
    }
}
