package org.stageforge.controller;

import org.stageforge.ExitCodes;
import org.stageforge.StageforgeException;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The update controller's shell files (the project's {@code controller/} directory, packaged as resources):
 * the {@code stageforge-controller} script, its {@code lib/}, the dracut module and the OpenRC/systemd health units.
 */
public final class ControllerFiles {
    static final String RESOURCES = "/org/stageforge/controller/files";

    private ControllerFiles() {}

    /**
     * Writes every file under {@code dir} (created if missing), keeping the relative layout; scripts (files
     * starting with {@code #!}) get mode 0755, the rest 0644. Each file is written to a temporary name and renamed.
     * Returns the written paths, sorted.
     */
    public static List<Path> export(Path dir) throws IOException {
        URL url = ControllerFiles.class.getResource(RESOURCES);
        if (url == null) throw new StageforgeException("the controller's files are missing from this build", ExitCodes.NOT_FOUND, null);
        URI uri;
        try {
            uri = url.toURI();
        } catch (URISyntaxException e) {
            throw new IOException("bad resource URL " + url, e);
        }
        if (!uri.getScheme().equals("jar")) return copyTree(Path.of(uri), dir);
        FileSystem fs;
        boolean opened = false;
        try {
            fs = FileSystems.newFileSystem(uri, Map.of());
            opened = true;
        } catch (FileSystemAlreadyExistsException e) {
            fs = FileSystems.getFileSystem(uri);
        }
        try {
            return copyTree(fs.provider().getPath(uri), dir);
        } finally {
            if (opened) fs.close();
        }
    }

    private static List<Path> copyTree(Path from, Path dir) throws IOException {
        List<Path> sources;
        try (Stream<Path> s = Files.walk(from)) {
            sources = s.filter(Files::isRegularFile).sorted().toList();
        }
        List<Path> written = new ArrayList<>();
        for (Path src : sources) {
            // resolve by name segments: the source may live in a zip file system
            Path dst = dir;
            for (Path seg : from.relativize(src)) dst = dst.resolve(seg.toString());
            Files.createDirectories(dst.getParent());
            byte[] data = Files.readAllBytes(src);
            Path tmp = dst.resolveSibling(dst.getFileName() + ".tmp");
            Files.write(tmp, data);
            boolean script = data.length > 1 && data[0] == '#' && data[1] == '!';
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(script ? "rwxr-xr-x" : "rw-r--r--"));
            Files.move(tmp, dst, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            written.add(dst);
        }
        return written;
    }
}
