package dev.scimsync.embeddedmongo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.DefaultQueryMatcher;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.LibraryAccess;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.CannotIndexParallelArraysError;
import de.bwaldvogel.mongo.exception.DuplicateKeyError;
import de.bwaldvogel.mongo.exception.KeyConstraintError;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;

/**
 * A secondary index as MongoDB keeps one: entries sorted by the key values (in the declared
 * directions), then by `_id`, so many documents share a key (non-unique), a compound index serves
 * an equality prefix, then a range or a sort on the next key, and an array field gives one entry
 * per element (multikey). Unique, sparse and partial (partialFilterExpression) indexes are the same
 * structure with fewer entries or a check on write. Missing fields and empty arrays are keyed as
 * null, as MongoDB keys them.
 *
 * The entries live in memory on both backends and are built from the collection when it is opened
 * (AbstractMongoCollection.addIndex builds an empty index from every document). An index never
 * decides an answer: it names candidates and the collection matches each against the whole query.
 */
final class SortedIndex<P> extends Index<P> {

    /** More point combinations than this ($in × $in …) scan with a shorter prefix instead. */
    private static final int MAX_BOUNDS = 4096;

    private final boolean unique;
    private final boolean sparse;
    private final Document partialFilter;
    private final boolean[] descending;
    private final KeyOrder order;
    private final ConcurrentSkipListMap<KeyOrder.Entry, P> entries;
    private final SharedKeyValues shared;
    /** The key paths, and each split at its dots: read on every write (the library re-splits a path per read). */
    private final List<String> keyPaths;
    private final String[][] keyFragments;
    /** Set once a document had an array in a key field; like MongoDB, never reset. */
    private volatile boolean multikey;
    /** While its collection builds all its indexes in one pass (opening an H2 file): not empty to the library, which would build it alone. */
    private volatile boolean awaitingBuild;

    SortedIndex(String name, List<IndexKey> keys, boolean unique, boolean sparse, Document partialFilter) {
        super(name, keys, sparse);
        this.unique = unique;
        this.sparse = sparse;
        this.partialFilter = partialFilter;
        this.descending = new boolean[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            descending[i] = !keys.get(i).isAscending();
        }
        this.order = new KeyOrder(descending);
        this.entries = new ConcurrentSkipListMap<>(order);
        this.shared = new SharedKeyValues(keys.size());
        this.keyPaths = keys.stream().map(IndexKey::getKey).toList();
        this.keyFragments = keyPaths.stream().map(path -> path.split("\\.")).toArray(String[][]::new);
    }

    /** Distinct string values shared at a key position (for tests). */
    int sharedValues(int key) {
        return shared.pooled(key);
    }

    boolean isMultikey() {
        return multikey;
    }

    boolean isSparseOrPartial() {
        return sparse || partialFilter != null;
    }

    // ---- entries of a document -------------------------------------------------------------

    /** Whether a document belongs in the index: partial indexes hold the matching ones, sparse ones those with a key field. */
    private boolean holds(Document document) {
        if (partialFilter != null && !new DefaultQueryMatcher().matches(document, partialFilter)) {
            return false;
        }
        if (sparse) {
            for (int k = 0; k < keyPaths.size(); k++) {
                if (!(keyValue(document, k) instanceof Missing)) {
                    return true;
                }
            }
            return false;
        }
        return true;
    }

    /**
     * The value at key path {@code k}, as Utils.getSubdocumentValueCollectionAware gives it: walked
     * here through subdocuments, and by the library once an array is on the way (it then gathers
     * the elements' values).
     */
    private Object keyValue(Document document, int k) {
        String[] fragments = keyFragments[k];
        Object value = document;
        for (String fragment : fragments) {
            if (value instanceof Document subdocument) {
                value = subdocument.getOrMissing(fragment);
            } else if (value instanceof Collection<?>) {
                return Utils.getSubdocumentValueCollectionAware(document, keyPaths.get(k));
            } else {
                return Missing.getInstance();
            }
        }
        return value;
    }

    /**
     * Whether an update leaves this index's entries for the document as they are: every key holds
     * the same scalar (a subdocument or an array is compared the long way, since key order and
     * elements matter there), and no partial filter could have changed its mind.
     */
    private boolean sameKeys(Document oldDocument, Document newDocument) {
        if (partialFilter != null) {
            return false;
        }
        for (int k = 0; k < keyPaths.size(); k++) {
            Object before = keyValue(oldDocument, k);
            if (before instanceof Document || before instanceof Collection<?> || !Objects.equals(before, keyValue(newDocument, k))) {
                return false;
            }
        }
        return true;
    }

    private Set<KeyOrder.Entry> entriesOf(Document document) {
        if (!holds(document)) {
            return Set.of();
        }
        int keyCount = keyPaths.size();
        // The usual document has a scalar in every key: one entry, no per-key lists.
        Object[] scalars = new Object[keyCount];
        List<List<Object>> valuesPerKey = null;
        String arrayPath = null;
        for (int k = 0; k < keyCount; k++) {
            Object value = keyValue(document, k);
            if (value instanceof Collection<?> elements) {
                String path = firstArrayPath(document, k);
                if (arrayPath != null && !arrayPath.equals(path)) {
                    throw new CannotIndexParallelArraysError(List.of(arrayPath, path));
                }
                arrayPath = path;
                multikey = true;
                Set<Object> distinct = new LinkedHashSet<>();
                for (Object element : elements) {
                    distinct.add(LibraryAccess.normalizeValue(element));
                }
                if (distinct.isEmpty()) {
                    distinct.add(null);
                }
                if (valuesPerKey == null) {
                    valuesPerKey = new ArrayList<>(keyCount);
                    for (int before = 0; before < k; before++) {
                        valuesPerKey.add(java.util.Collections.singletonList(scalars[before]));
                    }
                }
                valuesPerKey.add(new ArrayList<>(distinct));
            } else if (valuesPerKey == null) {
                scalars[k] = LibraryAccess.normalizeValue(value);
            } else {
                valuesPerKey.add(java.util.Collections.singletonList(LibraryAccess.normalizeValue(value)));
            }
        }
        Object id = LibraryAccess.normalizeValue(document.get("_id"));
        if (valuesPerKey == null) {
            return Set.of(new KeyOrder.Entry(scalars, id));
        }
        Set<KeyOrder.Entry> result = new LinkedHashSet<>();
        for (Object[] combination : combinations(valuesPerKey)) {
            result.add(new KeyOrder.Entry(combination, id));
        }
        return result;
    }

    /** The path to the first array on key path {@code k} (MongoDB refuses two different ones in one index entry). */
    private String firstArrayPath(Document document, int k) {
        String[] fragments = keyFragments[k];
        Object value = document;
        for (int i = 0; i < fragments.length; i++) {
            value = value instanceof Document subdocument ? subdocument.getOrMissing(fragments[i]) : Missing.getInstance();
            if (value instanceof Collection<?>) {
                return String.join(".", Arrays.asList(fragments).subList(0, i + 1));
            }
        }
        return keyPaths.get(k);
    }

    private static List<Object[]> combinations(List<List<Object>> valuesPerKey) {
        List<Object[]> result = new ArrayList<>();
        result.add(new Object[0]);
        for (List<Object> values : valuesPerKey) {
            List<Object[]> next = new ArrayList<>(result.size() * values.size());
            for (Object[] prefix : result) {
                for (Object value : values) {
                    Object[] extended = Arrays.copyOf(prefix, prefix.length + 1);
                    extended[prefix.length] = value;
                    next.add(extended);
                }
            }
            result = next;
        }
        return result;
    }

    // ---- writes -----------------------------------------------------------------------------

    private void checkUnique(Set<KeyOrder.Entry> candidates, MongoCollection<P> collection) {
        if (!unique) {
            return;
        }
        for (KeyOrder.Entry entry : candidates) {
            for (KeyOrder.Entry other : entries.subMap(bound(entry.values(), KeyOrder.LOW), true, bound(entry.values(), KeyOrder.HIGH), true).keySet()) {
                if (!Objects.equals(other.id(), entry.id())) {
                    throw new DuplicateKeyError(this, collection, getKeys(), new KeyValue(Arrays.asList(entry.values())));
                }
            }
        }
    }

    private static KeyOrder.Entry bound(Object[] values, Object idSentinel) {
        return new KeyOrder.Entry(values, idSentinel);
    }

    /**
     * Refuses a document with arrays on two different paths of this index's keys, as MongoDB does
     * (cannot index parallel arrays): checked before anything is written, so a refused write leaves
     * the document and every index as they were. A non-unique index checks only this, not its entries.
     */
    private void checkParallelArrays(Document document) {
        String arrayPath = null;
        for (int k = 0; k < keyPaths.size(); k++) {
            if (keyValue(document, k) instanceof Collection<?>) {
                String path = firstArrayPath(document, k);
                if (arrayPath != null && !arrayPath.equals(path) && holds(document)) {
                    throw new CannotIndexParallelArraysError(List.of(arrayPath, path));
                }
                arrayPath = path;
            }
        }
    }

    @Override
    public void checkAdd(Document document, MongoCollection<P> collection) {
        if (unique) {
            checkUnique(entriesOf(document), collection);
        } else {
            checkParallelArrays(document);
        }
    }

    @Override
    public void add(Document document, P position, MongoCollection<P> collection) {
        Set<KeyOrder.Entry> added = entriesOf(document);
        // Also checked here: an index built over existing documents is only checked this way.
        checkUnique(added, collection);
        for (KeyOrder.Entry entry : added) {
            shared.share(entry.values());
            entries.put(entry, position);
        }
    }

    @Override
    public P remove(Document document) {
        P position = null;
        for (KeyOrder.Entry entry : entriesOf(document)) {
            P removed = entries.remove(entry);
            if (removed != null) {
                position = removed;
            }
        }
        return position;
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<P> collection) {
        // Unchanged keys are the document's own entries: nothing new to check.
        if (sameKeys(oldDocument, newDocument)) {
            return;
        }
        if (unique) {
            checkUnique(entriesOf(newDocument), collection);
        } else {
            checkParallelArrays(newDocument);
        }
    }

    @Override
    public void updateInPlace(Document oldDocument, Document newDocument, P position, MongoCollection<P> collection) throws KeyConstraintError {
        if (sameKeys(oldDocument, newDocument)) {
            return;
        }
        Set<KeyOrder.Entry> before = entriesOf(oldDocument);
        Set<KeyOrder.Entry> after = entriesOf(newDocument);
        if (!before.equals(after)) {
            for (KeyOrder.Entry entry : before) {
                entries.remove(entry);
            }
            for (KeyOrder.Entry entry : after) {
                shared.share(entry.values());
                entries.put(entry, position);
            }
        }
    }

    /** The `_id` index gives every document's position; this one need not (AbstractMongoCollection skips nulls). */
    @Override
    public P getPosition(Document document) {
        return null;
    }

    /** A document outside a partial index has no entry: the collection must not take that for a lost document. */
    @Override
    protected boolean isSparse() {
        return sparse || partialFilter != null;
    }

    @Override
    public boolean isUnique() {
        return unique;
    }

    @Override
    public long getCount() {
        return entries.size();
    }

    @Override
    public boolean isEmpty() {
        return !awaitingBuild && entries.isEmpty();
    }

    /** The collection fills this index itself, with its other indexes, in one pass over the documents. */
    void awaitBuild() {
        awaitingBuild = true;
    }

    void built() {
        awaitingBuild = false;
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    @Override
    public void drop() {
        entries.clear();
    }

    /** Queries reach this index through {@link QueryPlanner}, never through the library's first-match loop. */
    @Override
    public boolean canHandle(Document query) {
        return false;
    }

    @Override
    public Iterable<P> getPositions(Document query) {
        throw new UnsupportedOperationException("SortedIndex is read through QueryPlanner");
    }

    @Override
    public Document toIndexDescription() {
        Document description = new Document("v", 2).append("unique", unique);
        Document key = new Document();
        for (IndexKey indexKey : getKeys()) {
            key.put(indexKey.getKey(), indexKey.isAscending() ? 1 : -1);
        }
        description.put("key", key);
        description.put("name", getName());
        if (sparse) {
            description.put("sparse", true);
        }
        if (partialFilter != null) {
            description.put("partialFilterExpression", partialFilter);
        }
        return description;
    }

    // ---- reads ------------------------------------------------------------------------------

    /**
     * How this index would serve a query: the bounds of its scan, or null when it cannot bound one
     * (no equality or range on its first key, a partial filter the query does not imply, a sparse
     * index and a query that may match documents without the field).
     */
    Scan<P> scanFor(FieldConditions conditions, Document orderBy) {
        if (partialFilter != null && !implies(conditions, partialFilter)) {
            return null;
        }
        List<String> keys = keyPaths;
        List<List<Object>> points = new ArrayList<>();
        FieldConditions.Range range = null;
        int combinations = 1;
        boolean excludesMissing = false;
        for (String key : keys) {
            FieldConditions.Condition condition = conditions.get(key);
            if (condition instanceof FieldConditions.Points p) {
                List<Object> distinct = new ArrayList<>(new LinkedHashSet<>(p.values()));
                if ((long) combinations * distinct.size() > MAX_BOUNDS) {
                    break;
                }
                combinations *= distinct.size();
                points.add(distinct);
                excludesMissing |= p.excludesMissing();
                continue;
            }
            if (condition instanceof FieldConditions.Range r) {
                range = multikey ? r.oneSided() : r;
                excludesMissing |= r.excludesMissing();
            }
            break;
        }
        if (points.isEmpty() && range == null) {
            return null;
        }
        if (sparse && !excludesMissing) {
            return null;
        }
        int equalityFields = points.size();
        // A multikey index yields the sort only when it is by _id (never an array): after one point of
        // the equality fields, a document's entries then sit in _id order (its duplicates adjacent,
        // removed by distinct()), as MongoDB serves `{terms: x}` sorted by _id from (terms, _id).
        Boolean reverse = combinations == 1 && (!multikey || sortsOnlyById(orderBy)) ? sortDirection(orderBy, equalityFields) : null;
        List<KeyOrder.Entry[]> bounds = new ArrayList<>();
        for (Object[] prefix : combinations(points)) {
            bounds.add(boundsOf(prefix, range));
        }
        boolean exact = unique && equalityFields == keys.size();
        return new Scan<>(this, equalityFields, range != null, reverse != null, exact, bounds, Boolean.TRUE.equals(reverse));
    }

    private static boolean sortsOnlyById(Document orderBy) {
        return orderBy != null && orderBy.size() == 1 && orderBy.containsKey("_id");
    }

    /**
     * Whether the index, after `equalityFields` bound keys, yields the sort's order: null if not, else
     * whether backwards. Sort keys bound by the equality (one value each: the caller asks only then)
     * are already in order, wherever the sort names them, as in MongoDB's planner: the change-event
     * sequencer's `{unsequenced: true, tenantId}` sorted by `unsequenced, tenantId, at, _id` with a
     * limit is an ordered scan that stops at the limit, not a sort of every waiting event.
     */
    private Boolean sortDirection(Document orderBy, int equalityFields) {
        if (orderBy == null || orderBy.isEmpty() || orderBy.containsKey("$natural")) {
            return null;
        }
        List<IndexKey> keys = getKeys();
        Set<String> bound = new HashSet<>();
        for (int k = 0; k < equalityFields; k++) {
            bound.add(keys.get(k).getKey());
        }
        List<Map.Entry<String, Object>> remaining = orderBy.entrySet().stream().filter(e -> !bound.contains(e.getKey())).toList();
        if (equalityFields + remaining.size() > keys.size()) {
            return null;
        }
        Boolean reverse = null;
        int i = equalityFields;
        for (Map.Entry<String, Object> sort : remaining) {
            IndexKey key = keys.get(i++);
            if (!key.getKey().equals(sort.getKey()) || !(sort.getValue() instanceof Number direction)) {
                return null;
            }
            boolean opposite = (direction.doubleValue() > 0) != key.isAscending();
            if (reverse != null && reverse != opposite) {
                return null;
            }
            reverse = opposite;
        }
        for (Object direction : orderBy.values()) {
            if (!(direction instanceof Number)) {
                return null;
            }
        }
        return reverse == null ? Boolean.FALSE : reverse;
    }

    private KeyOrder.Entry[] boundsOf(Object[] prefix, FieldConditions.Range range) {
        int n = descending.length;
        Object[] from = Arrays.copyOf(prefix, n);
        Object[] to = Arrays.copyOf(prefix, n);
        int next = prefix.length;
        Object fromFill = KeyOrder.LOW;
        Object toFill = KeyOrder.HIGH;
        if (range != null) {
            // In index order a descending key starts at the range's high end.
            boolean desc = descending[next];
            Object start = desc ? range.high() : range.low();
            boolean startInclusive = desc ? range.highInclusive() : range.lowInclusive();
            Object end = desc ? range.low() : range.high();
            boolean endInclusive = desc ? range.lowInclusive() : range.highInclusive();
            from[next] = start;
            to[next] = end;
            fromFill = startInclusive ? KeyOrder.LOW : KeyOrder.HIGH;
            toFill = endInclusive ? KeyOrder.HIGH : KeyOrder.LOW;
            next++;
        }
        Arrays.fill(from, next, n, fromFill);
        Arrays.fill(to, next, n, toFill);
        return new KeyOrder.Entry[] { new KeyOrder.Entry(from, fromFill), new KeyOrder.Entry(to, toFill) };
    }

    /** The positions in the bounds, in index order (backwards when asked), each once. */
    Stream<P> positions(List<KeyOrder.Entry[]> bounds, boolean reverse, LongAdder keysExamined) {
        List<KeyOrder.Entry[]> ordered = new ArrayList<>(bounds);
        if (reverse) {
            java.util.Collections.reverse(ordered);
        }
        Stream<P> positions = ordered.stream().filter(b -> order.compare(b[0], b[1]) <= 0).flatMap(b -> {
            // (An empty range, e.g. {$gt: 5, $lte: 1}, is filtered above: subMap refuses from > to.)
            NavigableMap<KeyOrder.Entry, P> slice = entries.subMap(b[0], true, b[1], true);
            return (reverse ? slice.descendingMap() : slice).values().stream();
        }).peek(p -> keysExamined.increment());
        // A document has several entries in a multikey index; bounds of distinct points never share one otherwise.
        return multikey ? positions.distinct() : positions;
    }

    /** Whether every document the query can match passes the partial filter: the query repeats the filter's conditions, or implies them. */
    private static boolean implies(FieldConditions query, Document filter) {
        for (Map.Entry<String, Object> entry : filter.entrySet()) {
            String field = entry.getKey();
            Object required = entry.getValue();
            if (field.equals("$and") && required instanceof Collection<?> parts) {
                for (Object part : parts) {
                    if (!(part instanceof Document document) || !implies(query, document)) {
                        return false;
                    }
                }
                continue;
            }
            if (Objects.equals(query.raw(field), required)) {
                continue;
            }
            FieldConditions.Condition condition = query.get(field);
            if (required instanceof Document operators && operators.size() == 1 && Utils.isTrue(operators.get("$exists"))) {
                if (condition != null && condition.excludesMissing()) {
                    continue;
                }
                return false;
            }
            Object value = required instanceof Document operators && operators.keySet().equals(Set.of("$eq")) ? operators.get("$eq") : required;
            boolean plainValue = !(value instanceof Document d && d.keySet().stream().anyMatch(k -> k.startsWith("$"))) && !BsonRegularExpression.isRegularExpression(value);
            if (plainValue && condition instanceof FieldConditions.Points p && p.values().size() == 1
                && Objects.equals(p.values().get(0), LibraryAccess.normalizeValue(value))) {
                continue;
            }
            return false;
        }
        return true;
    }

    /** A planned scan of this index. */
    record Scan<P>(SortedIndex<P> index, int equalityFields, boolean range, boolean ordered, boolean exact,
                   List<KeyOrder.Entry[]> bounds, boolean reverse) {

        Stream<P> positions(LongAdder keysExamined) {
            return index.positions(bounds, reverse, keysExamined);
        }
    }
}
