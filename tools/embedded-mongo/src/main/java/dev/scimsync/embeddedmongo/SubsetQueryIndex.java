package dev.scimsync.embeddedmongo;

import java.util.List;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.KeyConstraintError;

/**
 * A unique index that also serves queries naming more fields than its keys. mongo-java-server uses
 * an index only when a query's fields are exactly the index's keys, so `{_id, tenantId}` (every
 * tenant-scoped lookup we send) scanned the whole collection while holding its lock. The index
 * finds the candidates by its own keys; the collection then matches each candidate against the
 * whole query (AbstractMongoCollection.matchDocuments), so the answer is the same, only cheaper.
 */
final class SubsetQueryIndex<P> extends Index<P> {

    private final Index<P> delegate;

    SubsetQueryIndex(Index<P> delegate) {
        super(delegate.getName(), delegate.getKeys(), Boolean.TRUE.equals(delegate.toIndexDescription().get("sparse")));
        this.delegate = delegate;
    }

    /** The query restricted to this index's keys, or null when it does not name all of them. */
    private Document restrict(Document query) {
        List<IndexKey> keys = getKeys();
        if (query.size() <= keys.size()) {
            return null;
        }
        Document restricted = new Document();
        for (IndexKey key : keys) {
            if (!query.containsKey(key.getKey())) {
                return null;
            }
            restricted.put(key.getKey(), query.get(key.getKey()));
        }
        return restricted;
    }

    @Override
    public boolean canHandle(Document query) {
        if (delegate.canHandle(query)) {
            return true;
        }
        Document restricted = restrict(query);
        return restricted != null && delegate.canHandle(restricted);
    }

    @Override
    public Iterable<P> getPositions(Document query) {
        return delegate.canHandle(query) ? delegate.getPositions(query) : delegate.getPositions(restrict(query));
    }

    @Override
    public P getPosition(Document document) {
        return delegate.getPosition(document);
    }

    @Override
    public void checkAdd(Document document, MongoCollection<P> collection) {
        delegate.checkAdd(document, collection);
    }

    @Override
    public void add(Document document, P position, MongoCollection<P> collection) {
        delegate.add(document, position, collection);
    }

    @Override
    public P remove(Document document) {
        return delegate.remove(document);
    }

    @Override
    public long getCount() {
        return delegate.getCount();
    }

    @Override
    public long getDataSize() {
        return delegate.getDataSize();
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<P> collection) {
        delegate.checkUpdate(oldDocument, newDocument, collection);
    }

    @Override
    public void updateInPlace(Document oldDocument, Document newDocument, P position, MongoCollection<P> collection) throws KeyConstraintError {
        delegate.updateInPlace(oldDocument, newDocument, position, collection);
    }

    @Override
    public void drop() {
        delegate.drop();
    }

    @Override
    public boolean isUnique() {
        return delegate.isUnique();
    }

    @Override
    public Document toIndexDescription() {
        return delegate.toIndexDescription();
    }
}
