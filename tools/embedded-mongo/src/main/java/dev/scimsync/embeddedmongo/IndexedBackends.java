package dev.scimsync.embeddedmongo;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;
import io.netty.channel.Channel;

/**
 * mongo-java-server's two backends with the indexes the models declare: the `_id` index is the
 * library's own (a {@link SubsetQueryIndex}); every other index, unique or not, compound, multikey,
 * sparse or partial, is a {@link SortedIndex} kept in memory (on H2 rebuilt from the documents when
 * a collection is opened), and queries choose among them through {@link QueryPlanner}. On H2 the
 * documents are stored as BSON ({@link DocumentStore}). Collection
 * creation is atomic, so two clients creating one collection get NamespaceExists (48) as from
 * MongoDB, never a second namespace entry.
 */
final class IndexedBackends {

    private IndexedBackends() {
    }

    static final class Memory extends MemoryBackend {
        @Override
        public MemoryDatabase openOrCreateDatabase(String databaseName) {
            return new IndexedMemoryDatabase(databaseName, getCursorRegistry());
        }

        @Override
        public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
            if (ListDatabases.handles(databaseName, command)) {
                return ListDatabases.answer(listDatabaseNames(), this::resolveDatabase);
            }
            return super.handleCommand(channel, databaseName, command, query);
        }
    }

    static final class H2 extends H2Backend {
        /**
         * The largest page cache. 512 MB (an earlier choice) held about 2,000,000 decoded documents
         * at 56,000 users, far more than H2's estimate of their size: the collector then spent a
         * third of a 100,000-user import in full collections of 3 GB, and the import slowed to
         * 128 users/s; with 128 MB it ran at about 200 users/s (docs/benchmarks.md, 2026-12-07).
         */
        static final int MAX_CACHE_MB = 128;

        H2(String fileName) {
            super(DocumentStore.open(fileName, cacheSizeMb(Runtime.getRuntime().maxMemory())));
        }

        /**
         * The MVStore's page cache: documents live only in the file (the indexes hold keys), so a
         * query's candidates are page reads, and with H2's default 16 MB a tenant of 100,000 users no
         * longer fits and every read goes to the file. A quarter of the heap, at most MAX_CACHE_MB
         * (the default heap is a quarter of the machine's memory; the indexes need the rest).
         * {@code -Dscimsync.cacheMb=N} sets it (SCIM_EMBEDDED_MONGO_JAVA_OPTS).
         */
        static int cacheSizeMb(long maxHeapBytes) {
            Integer chosen = Integer.getInteger("scimsync.cacheMb");
            if (chosen != null) {
                return Math.max(1, chosen);
            }
            return (int) Math.max(16, Math.min(MAX_CACHE_MB, maxHeapBytes / 4 / (1024 * 1024)));
        }

        int cacheSizeMb() {
            return getMvStore().getCacheSize();
        }

        @Override
        protected MongoDatabase openOrCreateDatabase(String databaseName) {
            return new IndexedH2Database(databaseName, getMvStore(), getCursorRegistry());
        }

        @Override
        public Document handleCommand(Channel channel, String databaseName, String command, Document query) {
            if (ListDatabases.handles(databaseName, command)) {
                return ListDatabases.answer(listDatabaseNames(), this::resolveDatabase);
            }
            return super.handleCommand(channel, databaseName, command, query);
        }
    }

    /**
     * `listDatabases` from the databases already open. The library's own answer opens every
     * database again (openOrCreateDatabase, not the open instance): on H2 that built a second set
     * of every collection's indexes in memory while the first one was written, and its reads of
     * pages the writer had since replaced failed with "Chunk … not found" (seen during a
     * 700,000-user seed). The memory backend answers the same way, so both share one answer.
     */
    static final class ListDatabases {
        private ListDatabases() {
        }

        static boolean handles(String databaseName, String command) {
            return "admin".equals(databaseName) && command.equalsIgnoreCase("listDatabases");
        }

        static Document answer(Collection<String> names, Function<String, MongoDatabase> open) {
            List<Document> databases = new ArrayList<>();
            for (String name : names.stream().sorted().toList()) {
                MongoDatabase database = open.apply(name);
                databases.add(new Document("name", name).append("empty", database.isEmpty()));
            }
            Document response = new Document("databases", databases);
            Utils.markOkay(response);
            return response;
        }
    }

    private static final class IndexedMemoryDatabase extends MemoryDatabase {
        IndexedMemoryDatabase(String databaseName, CursorRegistry cursorRegistry) {
            super(databaseName, cursorRegistry);
        }

        @Override
        protected MemoryCollection openOrCreateCollection(String collectionName, CollectionOptions options) {
            return new PlannedCollections.Memory(this, collectionName, options, cursorRegistry);
        }

        @Override
        protected Index<Integer> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
            if (IndexDeclarations.isIdIndex(keys)) {
                return new SubsetQueryIndex<>(super.openOrCreateUniqueIndex(collectionName, indexName, keys, sparse));
            }
            return IndexDeclarations.sortedIndex(indexes, getFullCollectionNamespace(collectionName), indexName, keys, true, sparse);
        }

        @Override
        protected Index<Integer> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
            return IndexDeclarations.sortedIndex(indexes, getFullCollectionNamespace(collectionName), indexName, keys, false, sparse);
        }

        @Override
        protected synchronized void addIndex(Document indexDescription) {
            IndexDeclarations.declaring(indexDescription, () -> super.addIndex(indexDescription));
        }

        @Override
        public synchronized MongoCollection<Integer> createCollectionOrThrowIfExists(String collectionName, CollectionOptions options) {
            return super.createCollectionOrThrowIfExists(collectionName, options);
        }

        @Override
        public Document handleCommand(Channel channel, String command, Document query, DatabaseResolver databaseResolver, Oplog oplog) {
            Document answer = DatabaseCommandsRouting.answer(this, command, query, databaseResolver, oplog);
            return answer != null ? answer : super.handleCommand(channel, command, query, databaseResolver, oplog);
        }
    }

    private static final class IndexedH2Database extends H2Database {
        /** The file being opened: the superclass's constructor opens the existing collections before our fields are set. */
        private record Opening(MVStore mvStore, List<PlannedCollections.H2> collections) {
        }

        private static final ThreadLocal<Opening> OPENING = new ThreadLocal<>();
        private static final Logger LOG = LoggerFactory.getLogger(IndexedBackends.class);

        private final MVStore mvStore;

        IndexedH2Database(String databaseName, MVStore mvStore, CursorRegistry cursorRegistry) {
            super(databaseName, opening(mvStore), cursorRegistry);
            List<PlannedCollections.H2> opened = OPENING.get().collections();
            OPENING.remove();
            this.mvStore = mvStore;
            long started = System.nanoTime();
            opened.forEach(PlannedCollections.H2::finishOpening);
            LOG.info("opened database {}: {} collections, their indexes built in {} ms", databaseName, opened.size(), (System.nanoTime() - started) / 1_000_000);
        }

        private static MVStore opening(MVStore mvStore) {
            OPENING.set(new Opening(mvStore, new ArrayList<>()));
            return mvStore;
        }

        @Override
        protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
            Opening opening = mvStore == null ? OPENING.get() : null;
            MVStore store = opening != null ? opening.mvStore() : mvStore;
            // The map names of H2Database.openOrCreateCollection (its prefixes are not visible to us).
            String fullName = getFullCollectionNamespace(collectionName);
            MVMap<Object, Document> dataMap = DocumentStore.dataMap(store, DocumentStore.DATA_PREFIX + fullName);
            MVMap<String, Object> metaMap = store.openMap("meta." + fullName);
            PlannedCollections.H2 collection = new PlannedCollections.H2(this, collectionName, options, dataMap, metaMap, cursorRegistry, opening != null);
            if (opening != null) {
                opening.collections().add(collection);
            }
            return collection;
        }

        @Override
        protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
            if (IndexDeclarations.isIdIndex(keys)) {
                MVStore store = mvStore != null ? mvStore : OPENING.get().mvStore();
                String fullName = getFullCollectionNamespace(collectionName);
                // The library's own _id index map (H2Database.mapNameForIndex), written by launchers
                // before DataMapIdIndex: removed, so a launcher that still uses it rebuilds it from
                // the documents (an empty index is filled when the collection opens) instead of
                // trusting one that stopped being kept up to date.
                String libraryIndexMap = fullName + "._index_" + indexName;
                if (store.hasMap(libraryIndexMap)) {
                    store.removeMap(libraryIndexMap);
                }
                return new SubsetQueryIndex<>(new DataMapIdIndex(DocumentStore.dataMap(store, DocumentStore.DATA_PREFIX + fullName), indexName, keys, sparse));
            }
            return IndexDeclarations.sortedIndex(indexes, getFullCollectionNamespace(collectionName), indexName, keys, true, sparse);
        }

        @Override
        protected Index<Object> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys, boolean sparse) {
            return IndexDeclarations.sortedIndex(indexes, getFullCollectionNamespace(collectionName), indexName, keys, false, sparse);
        }

        @Override
        protected synchronized void addIndex(Document indexDescription) {
            IndexDeclarations.declaring(indexDescription, () -> super.addIndex(indexDescription));
        }

        @Override
        public synchronized MongoCollection<Object> createCollectionOrThrowIfExists(String collectionName, CollectionOptions options) {
            return super.createCollectionOrThrowIfExists(collectionName, options);
        }

        @Override
        public Document handleCommand(Channel channel, String command, Document query, DatabaseResolver databaseResolver, Oplog oplog) {
            Document answer = DatabaseCommandsRouting.answer(this, command, query, databaseResolver, oplog);
            return answer != null ? answer : super.handleCommand(channel, command, query, databaseResolver, oplog);
        }
    }

    /** The commands {@link DatabaseCommands} answers instead of the library. */
    private static final class DatabaseCommandsRouting {
        static Document answer(MongoDatabase database, String command, Document query, DatabaseResolver databaseResolver, Oplog oplog) {
            if (command.equalsIgnoreCase("explain")) {
                return DatabaseCommands.explain(database, query);
            }
            if (command.equalsIgnoreCase("readStats")) {
                return ReadStats.answer(Boolean.TRUE.equals(query.get("reset")));
            }
            if (command.equalsIgnoreCase("indexStats")) {
                return DatabaseCommands.indexStats(database, query);
            }
            if (command.equalsIgnoreCase("aggregate")) {
                return DatabaseCommands.aggregate(database, query, databaseResolver, oplog);
            }
            return null;
        }
    }
}
