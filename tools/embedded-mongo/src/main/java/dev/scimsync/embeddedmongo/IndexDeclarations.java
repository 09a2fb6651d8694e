package dev.scimsync.embeddedmongo;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.bson.Document;

/**
 * Which index object a declared index becomes. The library hands its index factories only the
 * keys and `sparse`; the partialFilterExpression is read from the declaration: the one being
 * created (createIndexes, remembered for the call), or the stored one in `system.indexes` (a
 * collection opened from an H2 file, whose indexes are rebuilt then).
 */
final class IndexDeclarations {

    private static final ThreadLocal<Document> DECLARING = new ThreadLocal<>();

    private IndexDeclarations() {
    }

    static boolean isIdIndex(List<IndexKey> keys) {
        return keys.size() == 1 && keys.get(0).getKey().equals("_id");
    }

    /** Runs a createIndexes declaration with its description at hand for the index factories. */
    static void declaring(Document description, Runnable addIndex) {
        DECLARING.set(description);
        try {
            addIndex.run();
        } finally {
            DECLARING.remove();
        }
    }

    static <P> Index<P> sortedIndex(AtomicReference<MongoCollection<P>> storedDeclarations, String namespace, String indexName,
                                    List<IndexKey> keys, boolean unique, boolean sparse) {
        Document description = descriptionOf(storedDeclarations, namespace, indexName);
        Object partial = description.get("partialFilterExpression");
        return new SortedIndex<>(indexName, keys, unique, sparse, partial instanceof Document filter && !filter.isEmpty() ? filter : null);
    }

    private static <P> Document descriptionOf(AtomicReference<MongoCollection<P>> storedDeclarations, String namespace, String indexName) {
        Document declaring = DECLARING.get();
        if (declaring != null && indexName.equals(declaring.get("name"))) {
            return declaring;
        }
        MongoCollection<P> stored = storedDeclarations.get();
        if (stored != null) {
            for (Document description : stored.handleQuery(new Document("ns", namespace).append("name", indexName))) {
                return description;
            }
        }
        return new Document();
    }
}
