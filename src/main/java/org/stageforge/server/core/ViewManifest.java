package org.stageforge.server.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * The immutable content of one generation of a served view: path → blob. Stored itself as a blob (sorted
 * JSON, so equal views have equal bytes); the database only points at it.
 */
public record ViewManifest(Map<String, Entry> files) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /** One served file: its blob, size and modification time (seconds). */
    public record Entry(String sha256, long size, long mtime) {}

    public static final ViewManifest EMPTY = new ViewManifest(Map.of());

    public ViewManifest {
        files = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(files));
    }

    public Entry get(String path) {
        return files.get(path);
    }

    public ViewManifest with(String path, Entry e) {
        Map<String, Entry> m = new TreeMap<>(files);
        m.put(path, e);
        return new ViewManifest(m);
    }

    public ViewManifest without(String path) {
        Map<String, Entry> m = new TreeMap<>(files);
        m.remove(path);
        return new ViewManifest(m);
    }

    public byte[] toBytes() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ViewManifest parse(byte[] data) throws IOException {
        return JSON.readValue(data, ViewManifest.class);
    }
}
