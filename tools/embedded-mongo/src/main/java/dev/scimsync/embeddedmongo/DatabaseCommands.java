package dev.scimsync.embeddedmongo;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.stream.StreamSupport;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import de.bwaldvogel.mongo.backend.LibraryAccess;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.oplog.Oplog;

/**
 * The commands our databases answer themselves: `explain` (which index a query would use and how
 * many keys and documents it examines, in the shape of MongoDB's answer: a COLLSCAN stage when
 * no index serves it) and `aggregate` pipelines that start with `$match`, whose candidates come
 * from the planned query rather than from every document of the collection.
 */
final class DatabaseCommands {

    private DatabaseCommands() {
    }

    static Document explain(MongoDatabase database, Document command) {
        if (!(command.get("explain") instanceof Document explained) || explained.isEmpty()) {
            throw new MongoServerError(2, "BadValue", "explain needs a command document");
        }
        String operation = explained.keySet().iterator().next();
        String collectionName = String.valueOf(explained.get(operation));
        Document filter;
        Document sort = null;
        switch (operation.toLowerCase(Locale.ROOT)) {
            case "find" -> {
                filter = (Document) explained.get("filter");
                sort = (Document) explained.get("sort");
            }
            case "count", "distinct" -> filter = (Document) explained.get("query");
            case "findandmodify" -> {
                filter = (Document) explained.get("query");
                sort = (Document) explained.get("sort");
            }
            case "update" -> filter = (Document) single(explained.get("updates"), operation).get("q");
            case "delete" -> filter = (Document) single(explained.get("deletes"), operation).get("q");
            case "aggregate" -> {
                List<Document> pipeline = Aggregation.parse(explained.get("pipeline"));
                filter = !pipeline.isEmpty() && pipeline.get(0).get("$match") instanceof Document match ? match : new Document();
                if (pipeline.size() > 1 && pipeline.get(1).get("$sort") instanceof Document pipelineSort) {
                    sort = pipelineSort;
                }
            }
            default -> throw new MongoServerError(2, "BadValue", "explain of " + operation + " is not supported by the embedded server");
        }
        String namespace = database.getDatabaseName() + "." + collectionName;
        MongoCollection<?> collection = database.resolveCollection(collectionName, false);
        Document queryPlanner = new Document("namespace", namespace).append("parsedQuery", filter == null ? new Document() : filter);
        Document response = new Document("queryPlanner", queryPlanner);
        if (collection instanceof PlannedCollection<?> planned) {
            Document plan = planned.explain(filter == null ? new Document() : filter, sort);
            queryPlanner.put("winningPlan", plan.get("winningPlan"));
            response.put("executionStats", plan.get("executionStats"));
        } else {
            // MongoDB's answer for a collection that does not exist.
            queryPlanner.put("winningPlan", new Document("stage", "EOF"));
            response.put("executionStats", new Document("totalKeysExamined", 0).append("totalDocsExamined", 0));
        }
        Utils.markOkay(response);
        return response;
    }

    /**
     * {@code {indexStats: "<collection>"}}: each of the collection's secondary indexes with its
     * entries and, per key, the distinct string values it stores once ({@link SharedKeyValues}).
     * For tests and for sizing the heap; MongoDB has no such command ($indexStats counts uses).
     */
    static Document indexStats(MongoDatabase database, Document command) {
        String collectionName = String.valueOf(command.get("indexStats"));
        MongoCollection<?> collection = database.resolveCollection(collectionName, false);
        List<Document> indexes = new ArrayList<>();
        if (collection instanceof PlannedCollection<?> planned) {
            for (Object index : planned.getIndexes()) {
                if (index instanceof SortedIndex<?> sorted) {
                    List<Integer> shared = new ArrayList<>();
                    for (int key = 0; key < sorted.getKeys().size(); key++) {
                        shared.add(sorted.sharedValues(key));
                    }
                    indexes.add(new Document("name", sorted.getName()).append("entries", sorted.getCount()).append("sharedValuesPerKey", shared));
                }
            }
        }
        Document response = new Document("indexes", indexes);
        Utils.markOkay(response);
        return response;
    }

    private static Document single(Object statements, String operation) {
        if (statements instanceof Collection<?> list && list.size() == 1 && list.iterator().next() instanceof Document statement) {
            return statement;
        }
        throw new MongoServerError(2, "BadValue", "explain of " + operation + " takes exactly one statement");
    }

    /**
     * countDocuments' pipeline, `[{$match}, {$group: {_id: <constant>, n: {$sum: 1}}}]`, answered
     * from index entries when they alone answer the $match (as MongoDB's COUNT_SCAN): the group's
     * document, an empty one for no match (a $group of nothing is nothing), or null to run it.
     */
    private static Document countOf(List<Document> pipeline, Document match, PlannedCollection<?> collection) {
        if (pipeline.size() != 2 || !(pipeline.get(1).get("$group") instanceof Document group) || group.size() != 2 || !group.containsKey("_id")) {
            return null;
        }
        Object id = group.get("_id");
        if (id instanceof Document || (id instanceof String text && text.startsWith("$"))) {
            return null;
        }
        String field = group.keySet().stream().filter(k -> !k.equals("_id")).findFirst().orElseThrow();
        if (!(group.get(field) instanceof Document sum) || sum.size() != 1 || !(sum.get("$sum") instanceof Number one) || one.doubleValue() != 1.0) {
            return null;
        }
        Long n = collection.coveredCount(match);
        if (n == null) {
            return null;
        }
        return n == 0 ? new Document() : new Document("_id", id).append(field, n <= Integer.MAX_VALUE ? (Object) n.intValue() : (Object) n);
    }

    /** The answer to an aggregate whose first stage is $match, or null when the library should run it as it does. */
    static Document aggregate(MongoDatabase database, Document command, DatabaseResolver databaseResolver, Oplog oplog) {
        String collectionName = String.valueOf(command.get("aggregate"));
        List<Document> pipeline = Aggregation.parse(command.get("pipeline"));
        if (pipeline.isEmpty() || !(pipeline.get(0).get("$match") instanceof Document match)
            || match.keySet().stream().anyMatch(k -> k.startsWith("$") && !k.equals("$and") && !k.equals("$or"))) {
            return null; // $expr and the like: left to the library's own $match stage
        }
        MongoCollection<?> collection = database.resolveCollection(collectionName, false);
        if (!(collection instanceof PlannedCollection<?>)) {
            return null;
        }
        Document count = countOf(pipeline, match, (PlannedCollection<?>) collection);
        if (count != null) {
            return LibraryAccess.firstBatchCursorResponse(database.getDatabaseName() + "." + collectionName, count.isEmpty() ? List.of() : List.of(count));
        }
        Aggregation aggregation = Aggregation.fromPipeline(pipeline, databaseResolver, database, collection, oplog);
        aggregation.validate(command);
        // Wrapped in "query" so that a $match on a field named "query" is not read as the wrapper.
        Document selector = new Document("query", match);
        if (pipeline.size() > 1 && pipeline.get(1).get("$sort") instanceof Document sort) {
            selector.put("orderby", sort);
        }
        // The pipeline still runs its $match (and $sort): the candidates are only what it starts from.
        List<Document> candidates = new ArrayList<>();
        collection.handleQuery(selector, 0, 0).forEach(candidates::add);
        List<Document> result = aggregation.runStages(StreamSupport.stream(candidates.spliterator(), false));
        return LibraryAccess.firstBatchCursorResponse(database.getDatabaseName() + "." + collectionName, result);
    }
}
