package dev.scimsync.embeddedmongo;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import de.bwaldvogel.mongo.bson.Document;

/**
 * What the server's queries read, since start (or the last reset), per collection: queries,
 * collection scans, and documents read (every candidate an index yields, every document of a
 * scan); and the same per query shape (collection, the fields of the filter and the sort, and the
 * index that served it or COLLSCAN; values left out). The command {@code {readStats: 1}} answers
 * it (with {@code reset: true} it also starts again): a profile of documents read per job needs
 * only two answers and the number of jobs between them (bench:scale prints it).
 */
final class ReadStats {

    static final class Counters {
        final LongAdder queries = new LongAdder();
        final LongAdder scans = new LongAdder();
        final LongAdder documentsRead = new LongAdder();

        Document toDocument() {
            return new Document("queries", queries.sum()).append("scans", scans.sum()).append("documentsRead", documentsRead.sum());
        }
    }

    private static final Map<String, Counters> BY_NAMESPACE = new ConcurrentHashMap<>();
    private static final Map<String, Counters> BY_SHAPE = new ConcurrentHashMap<>();

    private ReadStats() {
    }

    /** The counters a query adds to: its collection's and its shape's (index null: a scan). */
    static Counters[] query(String namespace, Document query, Document orderBy, String index) {
        String shape = namespace + " " + (query == null ? "[]" : query.keySet()) + (orderBy == null || orderBy.isEmpty() ? "" : " sort " + orderBy.keySet())
            + " " + (index == null ? "COLLSCAN" : index);
        Counters[] counters = {BY_NAMESPACE.computeIfAbsent(namespace, n -> new Counters()), BY_SHAPE.computeIfAbsent(shape, s -> new Counters())};
        for (Counters c : counters) {
            c.queries.increment();
            if (index == null) {
                c.scans.increment();
            }
        }
        return counters;
    }

    static Document answer(boolean reset) {
        Document namespaces = new Document();
        new TreeMap<>(BY_NAMESPACE).forEach((namespace, c) -> namespaces.put(namespace, c.toDocument()));
        Document shapes = new Document();
        new TreeMap<>(BY_SHAPE).forEach((shape, c) -> shapes.put(shape, c.toDocument()));
        if (reset) {
            BY_NAMESPACE.clear();
            BY_SHAPE.clear();
        }
        return new Document("namespaces", namespaces).append("shapes", shapes).append("ok", 1.0);
    }
}
