package dev.scimsync.embeddedmongo;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.bson.Document;

/**
 * A collection whose queries go through {@link QueryPlanner} (the memory and H2 collections of
 * {@link PlannedCollections}). Every read, update, delete, findAndModify, count and distinct of
 * AbstractMongoCollection runs through queryDocuments, which these collections route here.
 */
interface PlannedCollection<P> {

    List<Index<P>> getIndexes();

    /** database.collection (the library's getFullName). */
    String namespace();

    int count();

    Document documentAt(P position);

    /** The library's own answer: every document of the collection, matched and sorted. */
    QueryResult scanAll(Document query, Document orderBy, int skip, int limit, int batchSize, Document fieldSelector);

    /** The library's matching, sorting, skipping and projecting of the given candidates. */
    QueryResult matchCandidates(Stream<Document> candidates, Document query, Document orderBy, int skip, int limit, int batchSize,
                                Document fieldSelector);

    default QueryResult plannedQuery(Document query, Document orderBy, int skip, int limit, int batchSize, Document fieldSelector) {
        QueryPlanner.Plan<P> plan = QueryPlanner.plan(getIndexes(), query, orderBy);
        ReadStats.Counters[] read = ReadStats.query(namespace(), query, orderBy, plan == null ? null : plan.indexName());
        if (plan == null) {
            int documents = count();
            for (ReadStats.Counters c : read) {
                c.documentsRead.add(documents);
            }
            return scanAll(query, orderBy, skip, limit, batchSize, fieldSelector);
        }
        Stream<Document> candidates = plan.positions().apply(new LongAdder()).map(this::documentAt).filter(Objects::nonNull).peek(d -> {
            for (ReadStats.Counters c : read) {
                c.documentsRead.increment();
            }
        });
        // An index that yields the sort leaves the stream unsorted, so skip and limit stop the scan early.
        return matchCandidates(candidates, query, plan.ordered() ? null : orderBy, skip, limit, batchSize, fieldSelector);
    }

    /** The number of matches when the chosen index's entries alone answer the query (a count scan), else null. */
    default Long coveredCount(Document query) {
        QueryPlanner.Plan<P> plan = QueryPlanner.plan(getIndexes(), query, null);
        return plan != null && plan.covering() ? plan.positions().apply(new LongAdder()).count() : null;
    }

    /** What MongoDB's explain says of the plan: the stages, keys and documents examined (the candidates are counted, not fetched). */
    default Document explain(Document query, Document orderBy) {
        QueryPlanner.Plan<P> plan = QueryPlanner.plan(getIndexes(), query, orderBy);
        if (plan == null) {
            int documents = count();
            return new Document("winningPlan", new Document("stage", "COLLSCAN"))
                .append("executionStats", new Document("totalKeysExamined", 0).append("totalDocsExamined", documents));
        }
        LongAdder keys = new LongAdder();
        long documents = plan.positions().apply(keys).count();
        Document indexScan = new Document("stage", "IXSCAN").append("indexName", plan.indexName()).append("keyPattern", plan.keyPattern());
        Document winningPlan = new Document("stage", "FETCH").append("inputStage", indexScan);
        if (orderBy != null && !orderBy.isEmpty() && !plan.ordered()) {
            winningPlan = new Document("stage", "SORT").append("sortPattern", orderBy).append("inputStage", winningPlan);
        }
        if (plan.covering()) {
            // A countDocuments of this query reads no document (DatabaseCommands.countOf).
            indexScan.put("coversQuery", true);
        }
        return new Document("winningPlan", winningPlan)
            .append("executionStats", new Document("totalKeysExamined", keys.longValue()).append("totalDocsExamined", documents));
    }
}
