package dev.tokenkeeper.bootstrap.persistence;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Owner-only directories (0700) and files (0600). Java cannot set the process umask, and H2 creates
 * its files with it, so files are created here first with the right mode (H2 then writes into them
 * and keeps the mode) and checked again after use. Where the file system has no POSIX permissions
 * (Windows) nothing is set: the user's profile directory is what protects the files there.
 */
final class OwnerOnly {

    static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private OwnerOnly() {}

    static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }

    /**
     * Creates {@code dir} (and its parents, with default modes) if absent; makes it 0700.
     *
     * @return whether an existing directory's mode had to be narrowed
     */
    static boolean directory(Path dir) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try {
            Files.createDirectory(dir, attributes(DIRECTORY));
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw e;
            }
        }
        return narrow(dir, DIRECTORY);
    }

    /**
     * Creates {@code file} empty with mode 0600 unless it exists; an existing file is narrowed to 0600.
     *
     * @return whether the file was created by this call
     */
    static boolean file(Path file) throws IOException {
        try {
            Files.createFile(file, attributes(FILE));
            narrow(file, FILE); // the umask only ever removes bits, but make the mode exact
            return true;
        } catch (FileAlreadyExistsException e) {
            narrow(file, FILE);
            return false;
        }
    }

    /** Whether group or others have any permission on {@code path}; false without POSIX permissions. */
    static boolean sharedWithOthers(Path path) throws IOException {
        if (!posix()) {
            return false;
        }
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(path);
        return p.stream().anyMatch(OTHERS::contains);
    }

    /** The mode of {@code path} as {@code rw-------}, or "n/a". */
    static String describe(Path path) {
        try {
            return posix() ? PosixFilePermissions.toString(Files.getPosixFilePermissions(path)) : "n/a";
        } catch (IOException e) {
            return "unreadable";
        }
    }

    /** Sets {@code mode} if group or others have anything; returns whether it did. */
    static boolean narrow(Path path, Set<PosixFilePermission> mode) throws IOException {
        if (!sharedWithOthers(path)) {
            return false;
        }
        Files.setPosixFilePermissions(path, mode);
        return true;
    }

    static FileAttribute<?>[] attributes(Set<PosixFilePermission> mode) {
        return posix() ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)} : new FileAttribute<?>[0];
    }
}
