package de.bwaldvogel.mongo.backend;

import java.util.List;

import de.bwaldvogel.mongo.bson.Document;

/**
 * The package-private helpers of mongo-java-server our launcher needs, made reachable from
 * dev.scimsync.embeddedmongo: index keys must be normalized exactly as the library's own indexes
 * and matcher see them (1 and 1.0 are one key), an aggregate answer is the library's cursor shape,
 * and a value BsonSize does not know is measured as the library measures it.
 */
public final class LibraryAccess {

    private LibraryAccess() {
    }

    public static Object normalizeValue(Object value) {
        return Utils.normalizeValue(value);
    }

    public static int calculateSize(Document document) {
        return Utils.calculateSize(document);
    }

    public static Document firstBatchCursorResponse(String namespace, List<Document> firstBatch) {
        return Utils.firstBatchCursorResponse(namespace, firstBatch);
    }
}
