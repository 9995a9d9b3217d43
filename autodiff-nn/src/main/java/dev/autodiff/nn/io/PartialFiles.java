package dev.autodiff.nn.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files a save writes before renaming them over the target, and the removal of those that a killed
 * process left behind.
 *
 * <p>Java cannot create a file that vanishes with its process and can still be renamed into place
 * (Linux's O_TMPFILE + linkat has no Java API), so the file has a name that says what it is:
 * {@code .NAME.autodiff-OWNER-RANDOM.partial} beside the target, OWNER being the process's id and start
 * time. While a save writes it, the save holds an
 * exclusive OS lock on it, and the OS drops that lock when the process dies, even by SIGKILL or power
 * loss. So a partial file that another process can lock has no live writer: {@link #removeStale} deletes
 * it (holding the lock, so no writer can be in it). Files named with this process's OWNER are never opened
 * by the sweep: they belong to a save in progress here, which removes its own file, and opening them
 * would be unsafe (closing any descriptor of a file drops this process's POSIX locks on it). The
 * liveness test is the OS's, so it holds across PID reuse and PID namespaces; on a file system without
 * locks (tryLock fails) a partial file is left alone rather than guessed about.
 */
final class PartialFiles {
    private PartialFiles() {}

    private static final String MARK = ".autodiff-";
    private static final String SUFFIX = ".partial";
    private static final Pattern NAME = Pattern.compile("\\..*\\.autodiff-([0-9]{1,19}-[0-9a-z]{1,16})-[0-9a-f]{16}\\.partial");
    /**
     * This process: its id and start time (a container's JVM often has the same id at every run, so the id
     * alone would not tell this process from a dead one before it), or a random tag if the OS gives no start.
     */
    static final String OWNER = ProcessHandle.current().pid() + "-" + ProcessHandle.current().info().startInstant()
            .map(t -> Long.toString(t.toEpochMilli(), 36))
            .orElseGet(() -> "r" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 24, 36));

    /** An open, locked, new partial file beside {@code target}; closing the channel releases the lock. */
    record Partial(Path path, FileChannel channel) {}

    static Partial create(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        String name = target.getFileName().toString();
        if (name.length() > 64) { // keep the whole name within the usual 255-byte limit
            name = name.substring(0, Character.isHighSurrogate(name.charAt(63)) ? 63 : 64);
        }
        for (int attempt = 0; attempt < 8; attempt++) {
            Path p = dir.resolve("." + name + MARK + OWNER + "-"
                    + String.format("%016x", ThreadLocalRandom.current().nextLong()) + SUFFIX);
            FileChannel ch;
            try {
                ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException e) {
                continue;
            }
            try {
                FileLock lock = ch.tryLock();
                // Another process's sweep may have locked and deleted the file between its creation and our
                // lock; once we hold the lock no sweep can, so if the name is still there, it is ours.
                if (lock != null && Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    return new Partial(p, ch);
                }
            } catch (IOException e) {
                // no locks on this file system: write without one (a sweep cannot lock the file either)
                return new Partial(p, ch);
            }
            ch.close();
        }
        throw new IOException("could not create a temporary file beside " + target);
    }

    /** Whether {@code file} is named as a partial file (of this process or another). */
    static boolean isPartial(Path file) {
        return NAME.matcher(file.getFileName().toString()).matches();
    }

    /**
     * Deletes the partial files in {@code dir} whose writer has died; best effort (errors are ignored: a
     * directory that cannot be listed or a file that cannot be opened is left as it is).
     */
    static void removeStale(Path dir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ".*" + MARK + "*" + SUFFIX)) {
            for (Path p : files) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches() && !m.group(1).equals(OWNER)) {
                    removeIfUnlocked(p);
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            // nothing to clean, or not allowed to: the save or load itself goes on
        }
    }

    private static void removeIfUnlocked(Path p) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            FileLock lock = ch.tryLock();
            if (lock != null) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | OverlappingFileLockException e) {
            // a live writer, not ours to delete, or no locks here: leave it
        }
    }
}
