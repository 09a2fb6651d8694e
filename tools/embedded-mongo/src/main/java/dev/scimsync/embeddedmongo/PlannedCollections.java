package dev.scimsync.embeddedmongo;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.h2.mvstore.MVMap;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.bson.Document;

/**
 * mongo-java-server's memory and H2 collections with their queries planned by {@link QueryPlanner}
 * ({@link PlannedCollection}), and with an index build that holds the collection's lock, so a
 * write cannot slip between the build's pass over the documents and the index going live.
 */
final class PlannedCollections {

    private PlannedCollections() {
    }

    static final class Memory extends MemoryCollection implements PlannedCollection<Integer> {

        Memory(MongoDatabase database, String collectionName, CollectionOptions options, CursorRegistry cursorRegistry) {
            super(database, collectionName, options, cursorRegistry);
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

        H2(MongoDatabase database, String collectionName, CollectionOptions options, MVMap<Object, Document> dataMap,
           MVMap<String, Object> metaMap, CursorRegistry cursorRegistry, boolean opening) {
            super(database, collectionName, options, dataMap, metaMap, cursorRegistry);
            this.awaitingBuild = opening ? new ArrayList<>() : null;
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
            streamAllDocumentsWithPosition().forEach(d -> {
                for (SortedIndex<Object> index : indexes) {
                    index.add(d.getDocument(), d.getPosition(), this);
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
