package dev.scimsync.embeddedmongo;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import de.bwaldvogel.mongo.bson.Document;

/**
 * What the server's queries read, since start (or the last reset), per collection: queries,
 * collection scans, and documents read (every candidate an index yields, every document of a
 * scan). The command {@code {readStats: 1}} answers it (with {@code reset: true} it also starts
 * again), with the shapes of the queries that scanned: a profile of documents read per job needs
 * only two answers and the number of jobs between them (bench:scale prints it).
 */
final class ReadStats {

    static final class Counters {
        final LongAdder queries = new LongAdder();
        final LongAdder scans = new LongAdder();
        final LongAdder documentsRead = new LongAdder();
    }

    private static final Map<String, Counters> BY_NAMESPACE = new ConcurrentHashMap<>();
    private static final Map<String, LongAdder> SCAN_SHAPES = new ConcurrentHashMap<>();

    private ReadStats() {
    }

    static Counters of(String namespace) {
        return BY_NAMESPACE.computeIfAbsent(namespace, n -> new Counters());
    }

    /** A scan: its collection and the fields of its filter and sort (values left out). */
    static void scanned(String namespace, Document query, Document orderBy, int documents) {
        Counters counters = of(namespace);
        counters.scans.increment();
        counters.documentsRead.add(documents);
        String shape = namespace + " " + (query == null ? "{}" : query.keySet()) + (orderBy == null || orderBy.isEmpty() ? "" : " sort " + orderBy.keySet());
        SCAN_SHAPES.computeIfAbsent(shape, s -> new LongAdder()).increment();
    }

    static Document answer(boolean reset) {
        Document namespaces = new Document();
        new TreeMap<>(BY_NAMESPACE).forEach((namespace, c) -> namespaces.put(namespace,
            new Document("queries", c.queries.sum()).append("scans", c.scans.sum()).append("documentsRead", c.documentsRead.sum())));
        Document shapes = new Document();
        new TreeMap<>(SCAN_SHAPES).forEach((shape, n) -> shapes.put(shape, n.sum()));
        if (reset) {
            BY_NAMESPACE.clear();
            SCAN_SHAPES.clear();
        }
        return new Document("namespaces", namespaces).append("scanShapes", shapes).append("ok", 1.0);
    }
}
