package org.stageforge.merge;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;
import org.stageforge.index.AtomicFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;

/**
 * The exclusive lock of one root, {@value #PATH}, held for a whole merge batch so two stageforge processes never
 * change a root at once. A second process does not wait: it fails at once (exit 1) naming the lock file and the
 * holder's pid. The kernel drops the lock when its holder dies, even by SIGKILL; the file itself stays (empty).
 */
public final class RootLock implements AutoCloseable {
    public static final String PATH = "var/lib/stageforge/lock";

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private final FileTime mtime;

    private RootLock(Path file, FileChannel channel, FileLock lock, FileTime mtime) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
        this.mtime = mtime;
    }

    /** Takes the lock of {@code root} or throws naming the file and, when it has written it, the holder's pid. */
    public static RootLock acquire(Path root) {
        Path dir = AtomicFiles.directoryUnder(root, "var/lib/stageforge");
        Path file = dir.resolve("lock");
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                l = null; // held by this very process (another merge thread)
            }
            if (l == null) {
                ByteBuffer b = ByteBuffer.allocate(32);
                ch.read(b, 0);
                String pid = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
                throw new StageforgeException(file + " is held by another stageforge process"
                        + (pid.matches("\\d+") ? " (pid " + pid + ")" : "") + " merging into " + root
                        + "; wait for it to finish", ExitCodes.FAILURE, null);
            }
            RootFiles.setMode(file, 0644);
            FileTime before = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            return new RootLock(file, ch, l, before);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new StageforgeException("cannot lock " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /**
     * Empties the file and gives it back its mtime (so a root's bytes and times do not depend on who merged last) and
     * releases the lock.
     */
    @Override
    public void close() {
        try {
            channel.truncate(0);
            channel.force(false);
            Files.setLastModifiedTime(file, mtime);
            lock.release();
        } catch (IOException e) {
            throw new StageforgeException("cannot release " + PATH + ": " + e.getMessage(), e);
        } finally {
            closeQuietly(channel);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // closing drops the lock; nothing else to do
        }
    }
}
