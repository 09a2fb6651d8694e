package dev.scimsync.embeddedmongo;

import java.util.AbstractMap;
import java.util.Iterator;
import java.util.Collection;
import java.util.List;
import java.util.Map.Entry;
import java.util.Set;

import org.h2.mvstore.MVMap;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.LibraryAccess;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.DuplicateKeyError;

/**
 * The {@code _id} index of an H2 collection, answered by the collection's own data map.
 *
 * <p>mongo-java-server's H2 backend keys a collection's map by the document's {@code _id} (the
 * document's position is its {@code _id}) and keeps a second map, the {@code _id} index, from
 * {@code _id} to that same position. That map's keys are the library's {@code KeyValue}, which H2
 * stores with Java serialization: every insert rewrote one of its pages that way, and every
 * look-up compared serialized keys: in thread dumps of the 100,000-user import, the largest share
 * of the embedded server's running threads after the garbage collector (docs/benchmarks.md). The data map already
 * answers "is there a document with this {@code _id}" and "where is it", so this index asks it.
 *
 * <p>Insertion order in the library: every index's {@code checkAdd}, then the document is put in
 * the data map, then every index's {@code add}. So {@code checkAdd} finds a duplicate in the data
 * map and {@code add} has nothing to store (the library's own {@code add} checks again, and would
 * find the document just put). On removal the library asks each index for the position before it
 * removes the document from the data map.
 *
 * <p>Equality is the data map's: an {@code _id} matches a stored one of the same value and type
 * (an int 1 and a double 1.0 are two ids here, one in MongoDB). Our application's ids are strings.
 */
final class DataMapIdIndex extends AbstractUniqueIndex<Object> {

    private final MVMap<Object, Document> dataMap;

    private static final String ID_FIELD = "_id";

    DataMapIdIndex(MVMap<Object, Document> dataMap, String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
        if (keys.size() != 1 || !ID_FIELD.equals(keys.get(0).getKey())) {
            throw new IllegalArgumentException("DataMapIdIndex serves the _id index only, not " + keys);
        }
        this.dataMap = dataMap;
    }

    /**
     * The document's {@code _id} as the library's Index.getKeyValues gives it (normalized), read
     * straight from the document: the library's path walk splits "_id" into a list with a stream,
     * on every insert, look-up and update (a twentieth of the embedded server's allocations).
     */
    @Override
    public Set<KeyValue> getKeyValues(Document document) {
        Object id = document.getOrMissing(ID_FIELD);
        if (id instanceof Collection<?>) {
            return super.getKeyValues(document); // not an _id MongoDB accepts: the library's answer
        }
        return Set.of(new KeyValue(LibraryAccess.normalizeValue(id)));
    }

    /** The library's checkAdd (a duplicate _id is refused with 11000), with the _id read as above. */
    @Override
    public synchronized void checkAdd(Document document, MongoCollection<Object> collection) {
        Object id = document.getOrMissing(ID_FIELD);
        if (id instanceof Collection<?> || isSparse()) {
            super.checkAdd(document, collection);
            return;
        }
        KeyValue key = new KeyValue(id);
        if (containsKey(key.normalized())) {
            throw new DuplicateKeyError(this, collection, getKeys(), key);
        }
    }

    private static Object keyOf(KeyValue keyValue) {
        return Missing.ofNullable(keyValue.get(0));
    }

    @Override
    protected Object getPosition(KeyValue keyValue) {
        Object key = keyOf(keyValue);
        return dataMap.containsKey(key) ? key : null;
    }

    @Override
    protected boolean putKeyPosition(KeyValue keyValue, Object position) {
        return true;
    }

    @Override
    protected Object removeDocument(KeyValue keyValue) {
        return getPosition(keyValue);
    }

    @Override
    public synchronized void add(Document document, Object position, MongoCollection<Object> collection) {
        // Stored by the collection itself (its data map is this index); checked in checkAdd before.
    }

    @Override
    protected Iterable<Entry<KeyValue, Object>> getIterable() {
        return () -> {
            Iterator<Object> keys = dataMap.keyIterator(null);
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return keys.hasNext();
                }

                @Override
                public Entry<KeyValue, Object> next() {
                    Object key = keys.next();
                    return new AbstractMap.SimpleImmutableEntry<>(new KeyValue(key), key);
                }
            };
        };
    }

    @Override
    public long getCount() {
        return dataMap.sizeAsLong();
    }

    @Override
    public boolean isEmpty() {
        return dataMap.isEmpty();
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    @Override
    public void drop() {
        // The collection's data map is dropped with the collection.
    }
}
