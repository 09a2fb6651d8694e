package dev.scimsync.embeddedmongo;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.h2.mvstore.MVMap;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.DocumentWithPosition;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.bson.Document;

/**
 * mongo-java-server's memory and H2 collections with their queries planned by {@link QueryPlanner}
 * ({@link PlannedCollection}), with an index build that holds the collection's lock, so a
 * write cannot slip between the build's pass over the documents and the index going live, and with
 * their data size (collStats `size`) kept by {@link BsonSize}: the library encodes each inserted
 * document, and an update's old and new document, into a buffer only to learn their length.
 */
final class PlannedCollections {

    private PlannedCollections() {
    }

    static final class Memory extends MemoryCollection implements PlannedCollection<Integer> {

        Memory(MongoDatabase database, String collectionName, CollectionOptions options, CursorRegistry cursorRegistry) {
            super(database, collectionName, options, cursorRegistry);
        }

        @Override
        protected boolean tracksDataSize() {
            return false;
        }

        @Override
        public void addDocument(Document document) {
            super.addDocument(document);
            updateDataSize(BsonSize.of(document));
        }

        @Override
        protected void handleUpdate(Integer position, Document oldDocument, Document newDocument) {
            super.handleUpdate(position, oldDocument, newDocument);
            updateDataSize(BsonSize.of(newDocument) - BsonSize.of(oldDocument));
        }

        @Override
        protected void removeDocument(Integer position) {
            Document stored = super.getDocument(position);
            super.removeDocument(position);
            updateDataSize(-BsonSize.of(stored));
        }

        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int skip, int limit, int batchSize, Document fieldSelector) {
            return plannedQuery(query, orderBy, skip, limit, batchSize, fieldSelector);
        }

        @Override
        public synchronized void addIndex(Index<Integer> index) {
            super.addIndex(index);
        }

        @Override
        public String namespace() {
            return getFullName();
        }

        @Override
        public Document documentAt(Integer position) {
            return getDocument(position);
        }

        @Override
        public QueryResult scanAll(Document query, Document orderBy, int skip, int limit, int batchSize, Document fieldSelector) {
            return matchDocuments(query, orderBy, skip, limit, batchSize, fieldSelector);
        }

        @Override
        public QueryResult matchCandidates(Stream<Document> candidates, Document query, Document orderBy, int skip, int limit, int batchSize,
                                           Document fieldSelector) {
            return matchDocumentsFromStream(candidates, query, orderBy, skip, limit, batchSize, fieldSelector);
        }
    }

    static final class H2 extends H2Collection implements PlannedCollection<Object> {

        /** While the file is opened: the indexes to build together in {@link #finishOpening()}; null after. */
        private List<SortedIndex<Object>> awaitingBuild;

        private final MVMap<Object, Document> documents;

        H2(MongoDatabase database, String collectionName, CollectionOptions options, MVMap<Object, Document> dataMap,
           MVMap<String, Object> metaMap, CursorRegistry cursorRegistry, boolean opening) {
            super(database, collectionName, options, dataMap, metaMap, cursorRegistry);
            this.documents = dataMap;
            this.awaitingBuild = opening ? new ArrayList<>() : null;
        }

        // The data-size hooks, as Memory's: the two extend different library collections, so each states them.
        @Override
        protected boolean tracksDataSize() {
            return false;
        }

        @Override
        public void addDocument(Document document) {
            super.addDocument(document);
            updateDataSize(BsonSize.of(document));
        }

        @Override
        protected void handleUpdate(Object position, Document oldDocument, Document newDocument) {
            super.handleUpdate(position, oldDocument, newDocument);
            updateDataSize(BsonSize.of(newDocument) - BsonSize.of(oldDocument));
        }

        @Override
        protected void removeDocument(Object position) {
            Document stored = super.getDocument(position);
            super.removeDocument(position);
            updateDataSize(-BsonSize.of(stored));
        }

        /*
         * A stored document is never handed out, only copies of it: the library updates the document
         * a query gave it in place before storing it again, and the instance in the map is the one
         * H2 encodes when it writes the map's page on its own thread (BsonDocumentType): an update
         * in between broke that write with a ConcurrentModificationException (and could have stored
         * a half-updated document).
         */

        @Override
        protected Document getDocument(Object position) {
            Document document = super.getDocument(position);
            return document == null ? null : document.cloneDeeply();
        }

        @Override
        protected Stream<DocumentWithPosition<Object>> streamAllDocumentsWithPosition() {
            return documents.entrySet().stream().map(e -> new DocumentWithPosition<>(e.getValue().cloneDeeply(), e.getKey()));
        }

        @Override
        protected QueryResult matchDocuments(Document query, Document orderBy, int skip, int limit, int batchSize, Document fieldSelector) {
            Stream<Document> candidates = isNaturalDescending(orderBy)
                ? streamAllDocumentsWithPosition().sorted((a, b) -> ValueComparator.desc().compare(a.getPosition(), b.getPosition()))
                    .map(DocumentWithPosition::getDocument)
                : documents.values().stream().map(Document::cloneDeeply);
            return matchDocumentsFromStream(candidates, query, orderBy, skip, limit, batchSize, fieldSelector);
        }

        /**
         * Builds the indexes declared while the file was opened in one pass over the documents
         * (the library would read every document twice per index: reading is what costs on H2).
         */
        synchronized void finishOpening() {
            List<SortedIndex<Object>> indexes = awaitingBuild;
            awaitingBuild = null;
            if (indexes == null || indexes.isEmpty()) {
                return;
            }
            // The stored documents themselves: nothing changes them while the file is opened.
            documents.forEach((position, document) -> {
                for (SortedIndex<Object> index : indexes) {
                    index.add(document, position, this);
                }
            });
            indexes.forEach(SortedIndex::built);
        }

        @Override
        protected QueryResult queryDocuments(Document query, Document orderBy, int skip, int limit, int batchSize, Document fieldSelector) {
            return plannedQuery(query, orderBy, skip, limit, batchSize, fieldSelector);
        }

        @Override
        public synchronized void addIndex(Index<Object> index) {
            if (awaitingBuild != null && index instanceof SortedIndex<Object> sorted) {
                sorted.awaitBuild();
                awaitingBuild.add(sorted);
            }
            super.addIndex(index);
        }

        @Override
        public String namespace() {
            return getFullName();
        }

        @Override
        public Document documentAt(Object position) {
            return getDocument(position);
        }

        @Override
        public QueryResult scanAll(Document query, Document orderBy, int skip, int limit, int batchSize, Document fieldSelector) {
            return matchDocuments(query, orderBy, skip, limit, batchSize, fieldSelector);
        }

        @Override
        public QueryResult matchCandidates(Stream<Document> candidates, Document query, Document orderBy, int skip, int limit, int batchSize,
                                           Document fieldSelector) {
            return matchDocumentsFromStream(candidates, query, orderBy, skip, limit, batchSize, fieldSelector);
        }
    }
}
