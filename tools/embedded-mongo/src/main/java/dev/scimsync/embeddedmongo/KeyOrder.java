package dev.scimsync.embeddedmongo;

import java.util.Arrays;
import java.util.Comparator;

import de.bwaldvogel.mongo.backend.ValueComparator;

/**
 * The order of a {@link SortedIndex}'s entries: the key values in the index's directions, in
 * MongoDB's value order (the library's ValueComparator, which its sorts use too), then the
 * document's `_id`, so that many documents can share key values. LOW and HIGH sort before and
 * after every value: they make the bounds of a scan ("every entry whose first keys are these").
 */
final class KeyOrder implements Comparator<KeyOrder.Entry> {

    enum Sentinel { LOW_SENTINEL, HIGH_SENTINEL }

    static final Object LOW = Sentinel.LOW_SENTINEL;
    static final Object HIGH = Sentinel.HIGH_SENTINEL;

    /** One index entry (or a scan bound): key values, then the document's `_id`. */
    record Entry(Object[] values, Object id) {
        @Override
        public boolean equals(Object other) {
            return other instanceof Entry e && Arrays.equals(values, e.values) && java.util.Objects.equals(id, e.id);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(values) * 31 + java.util.Objects.hashCode(id);
        }

        @Override
        public String toString() {
            return Arrays.toString(values) + "#" + id;
        }
    }

    private static final ValueComparator VALUES = ValueComparator.ascWithoutListHandling();

    private final boolean[] descending;

    KeyOrder(boolean[] descending) {
        this.descending = descending;
    }

    @Override
    public int compare(Entry a, Entry b) {
        for (int i = 0; i < descending.length; i++) {
            int c = compareValues(a.values[i], b.values[i], descending[i]);
            if (c != 0) {
                return c;
            }
        }
        return compareValues(a.id, b.id, false);
    }

    static int compareValues(Object a, Object b, boolean descending) {
        if (a == b) {
            return 0;
        }
        if (a == LOW || b == HIGH) {
            return -1;
        }
        if (a == HIGH || b == LOW) {
            return 1;
        }
        int c = VALUES.compare(a, b);
        return descending ? -c : c;
    }
}
