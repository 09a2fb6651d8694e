package dev.scimsync.embeddedmongo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import de.bwaldvogel.mongo.bson.Document;

/**
 * The H2 file of the embedded server: its documents' storage format, and the one-time copy of a
 * file written before it.
 *
 * <p>The collections' maps ({@value #DATA_PREFIX}…, the names mongo-java-server's H2 backend gives
 * them) hold their documents as BSON ({@link BsonDocumentType}); every other map (collection
 * sizes, the {@code _id} index) keeps H2's default types. A file records its format in the map
 * {@value #FORMAT_MAP}. A file without the record that holds collections was written by the
 * launcher before BSON (Java serialization): opening it copies it once into a new file next to it
 * (every map, documents re-encoded), which then replaces it in one rename; the old file is kept
 * until the copy is complete, so an interrupted copy starts again at the next start.
 */
final class DocumentStore {

    private static final Logger log = LoggerFactory.getLogger(DocumentStore.class);

    static final String DATA_PREFIX = "databases.";
    static final String FORMAT_MAP = "scimsync.format";
    static final String FORMAT_KEY = "documents";
    static final String FORMAT_BSON = "bson-1";

    private DocumentStore() {
    }

    /** Opens (or creates) the file, first copying one in the old format. */
    static MVStore open(String fileName, int cacheSizeMb) {
        Path file = Path.of(fileName);
        if (Files.exists(file)) {
            MVStore existing = builder(fileName, cacheSizeMb).readOnly().open();
            String format;
            boolean hasCollections;
            try {
                format = existing.hasMap(FORMAT_MAP) ? String.valueOf(existing.openMap(FORMAT_MAP).get(FORMAT_KEY)) : null;
                hasCollections = existing.getMapNames().stream().anyMatch(name -> name.startsWith(DATA_PREFIX));
            } finally {
                existing.close();
            }
            if (format == null && hasCollections) {
                copyFromJavaSerialization(file, cacheSizeMb);
            } else if (format != null && !FORMAT_BSON.equals(format)) {
                throw new IllegalStateException(fileName + " stores documents as '" + format + "', which this launcher cannot read (it writes "
                    + FORMAT_BSON + "): start a newer launcher, or move the file away to start empty");
            }
        }
        MVStore store = builder(fileName, cacheSizeMb).open();
        MVMap<String, String> formatMap = store.openMap(FORMAT_MAP);
        if (formatMap.putIfAbsent(FORMAT_KEY, FORMAT_BSON) == null) {
            store.commit();
        }
        return store;
    }

    /** A collection's documents, as BSON. */
    static MVMap<Object, Document> dataMap(MVStore store, String mapName) {
        return store.openMap(mapName, new MVMap.Builder<Object, Document>().valueType(BsonDocumentType.INSTANCE));
    }

    private static MVStore.Builder builder(String fileName, int cacheSizeMb) {
        return new MVStore.Builder().fileName(fileName).cacheSize(cacheSizeMb);
    }

    private static void copyFromJavaSerialization(Path file, int cacheSizeMb) {
        Path copy = file.resolveSibling(file.getFileName() + ".bson-copy");
        long started = System.nanoTime();
        long oldBytes = size(file);
        log.info("{} stores documents with Java serialization (written before BSON storage): copying it once into {} ({} MB)", file, copy,
            oldBytes / (1024 * 1024));
        try {
            Files.deleteIfExists(copy);
        } catch (IOException e) {
            throw new IllegalStateException("cannot remove the unfinished copy " + copy, e);
        }
        long documents = 0;
        MVStore source = builder(file.toString(), cacheSizeMb).readOnly().open();
        try {
            MVStore target = builder(copy.toString(), cacheSizeMb).open();
            try {
                for (String name : source.getMapNames()) {
                    MVMap<Object, Object> from = source.openMap(name);
                    if (name.startsWith(DATA_PREFIX)) {
                        MVMap<Object, Document> to = dataMap(target, name);
                        for (var entry : from.entrySet()) {
                            to.put(entry.getKey(), (Document) entry.getValue());
                            documents++;
                        }
                    } else {
                        MVMap<Object, Object> to = target.openMap(name);
                        for (var entry : from.entrySet()) {
                            to.put(entry.getKey(), entry.getValue());
                        }
                    }
                }
                target.<String, String>openMap(FORMAT_MAP).put(FORMAT_KEY, FORMAT_BSON);
                target.commit();
                target.compactFile(10_000);
            } finally {
                target.close();
            }
        } finally {
            source.close();
        }
        try {
            Files.move(copy, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new IllegalStateException("cannot replace " + file + " with its copy " + copy, e);
        }
        log.info("copied {} documents into BSON storage in {} ms: {} MB before, {} MB after", documents, (System.nanoTime() - started) / 1_000_000,
            oldBytes / (1024 * 1024), size(file) / (1024 * 1024));
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }
}
