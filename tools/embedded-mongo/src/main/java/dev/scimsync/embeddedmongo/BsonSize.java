package dev.scimsync.embeddedmongo;

import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.UUID;

import de.bwaldvogel.mongo.backend.LibraryAccess;
import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.BsonJavaScript;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Decimal128;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.LegacyUUID;
import de.bwaldvogel.mongo.bson.MaxKey;
import de.bwaldvogel.mongo.bson.MinKey;
import de.bwaldvogel.mongo.bson.ObjectId;

/**
 * A document's BSON size, counted without encoding it: the same number the library's BsonEncoder
 * would write, byte for byte. The library keeps a collection's data size (collStats `size`) by
 * encoding every inserted document into a fresh buffer, and both the old and the new document on
 * every update: a sixth of the embedded server's time under the Okta import's load (JFR). A value
 * of a type not listed here is measured by the library's own encoder, so the total never drifts
 * from what the library counted before.
 */
final class BsonSize {

    private BsonSize() {
    }

    static int of(Map<String, ?> document) {
        int size = 4 + 1; // length prefix, terminating byte
        for (Map.Entry<String, ?> field : document.entrySet()) {
            size += 1 + cStringLength(field.getKey()) + valueSize(field.getValue());
        }
        return size;
    }

    private static int arraySize(Collection<?> elements) {
        int size = 4 + 1;
        int index = 0;
        for (Object element : elements) {
            size += 1 + digits(index++) + 1 + valueSize(element);
        }
        return size;
    }

    @SuppressWarnings("unchecked")
    private static int valueSize(Object value) {
        if (value == null || value instanceof MaxKey || value instanceof MinKey) {
            return 0;
        } else if (value instanceof String string) {
            return 4 + utf8Length(string) + 1;
        } else if (value instanceof Map<?, ?> map) {
            return of((Map<String, ?>) map);
        } else if (value instanceof Collection<?> elements) {
            return arraySize(elements);
        } else if (value instanceof Integer) {
            return 4;
        } else if (value instanceof Long || value instanceof Double || value instanceof Instant || value instanceof BsonTimestamp) {
            return 8;
        } else if (value instanceof Boolean) {
            return 1;
        } else if (value instanceof ObjectId) {
            return 12;
        } else if (value instanceof Decimal128) {
            return 16;
        } else if (value instanceof BinData binData) {
            return 4 + 1 + binData.getData().length;
        } else if (value instanceof UUID || value instanceof LegacyUUID) {
            return 4 + 1 + 16;
        } else if (value instanceof BsonRegularExpression pattern) {
            return cStringLength(pattern.getPattern()) + cStringLength(pattern.getOptions());
        } else if (value instanceof BsonJavaScript code) {
            return 4 + utf8Length(code.getCode()) + 1;
        }
        // Any other type: the library's own count (one field {"": value}, less its name and frame).
        return LibraryAccess.calculateSize(new Document("", value)) - (4 + 1 + 1 + 1);
    }

    private static int cStringLength(String value) {
        return utf8Length(value) + 1;
    }

    private static int digits(int index) {
        int count = 1;
        while (index >= 10) {
            index /= 10;
            count++;
        }
        return count;
    }

    /** UTF-8 length as String.getBytes(UTF_8) gives it (an unpaired surrogate is one '?'). */
    static int utf8Length(String value) {
        int length = value.length();
        int bytes = length;
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            if (c < 0x80) {
                continue;
            }
            if (c < 0x800) {
                bytes += 1;
            } else if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(value.charAt(i + 1))) {
                bytes += 2; // 4 bytes for the pair's 2 chars
                i++;
            } else if (Character.isSurrogate(c)) {
                // An unpaired surrogate is encoded as '?': one byte, already counted.
                continue;
            } else {
                bytes += 2;
            }
        }
        return bytes;
    }
}
