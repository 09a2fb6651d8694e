package dev.scimsync.embeddedmongo;

import java.nio.ByteBuffer;

import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The MVStore value type of the collections' documents: each stored as its BSON bytes, with the
 * library's own wire encoder and decoder (what a document is sent to and received from a client
 * as). H2's default, {@code ObjectDataType}, stores a document with Java serialization (class
 * descriptors with every document; the busiest thread of the embedded server, and a 1.35 GB file
 * for 30,000 users: docs/benchmarks.md).
 */
final class BsonDocumentType extends BasicDataType<Document> {

    static final BsonDocumentType INSTANCE = new BsonDocumentType();

    /** An encoding buffer per thread (H2 serializes pages on its own threads and on writers'). */
    private static final ThreadLocal<ByteBuf> BUFFERS = ThreadLocal.withInitial(() -> Unpooled.buffer(4096));

    /** A buffer grown past this by one large document is let go after it. */
    private static final int KEPT_BUFFER_BYTES = 1 << 20;

    /** The page cache's estimate of a document in memory: a running average of the encoded sizes. */
    private volatile int averageBytes = 1024;

    private BsonDocumentType() {
    }

    @Override
    public int getMemory(Document document) {
        // A decoded document takes more than its bytes (a map entry and a boxed value or String each).
        return averageBytes * 2;
    }

    @Override
    public void write(WriteBuffer out, Document document) {
        ByteBuf buffer = BUFFERS.get();
        buffer.clear();
        BsonEncoder.encodeDocument(document, buffer);
        int length = buffer.readableBytes();
        out.put(buffer.array(), buffer.arrayOffset() + buffer.readerIndex(), length);
        averageBytes = (length + 15 * averageBytes) / 16;
        if (buffer.capacity() > KEPT_BUFFER_BYTES) {
            BUFFERS.remove();
        }
    }

    @Override
    public Document read(ByteBuffer in) {
        int start = in.position();
        // BSON's leading int32 is the document's whole length, little-endian whatever the buffer's order.
        int length = (in.get(start) & 0xff) | (in.get(start + 1) & 0xff) << 8 | (in.get(start + 2) & 0xff) << 16 | (in.get(start + 3) & 0xff) << 24;
        Document document = BsonDecoder.decodeBson(Unpooled.wrappedBuffer(in.slice(start, length)));
        in.position(start + length);
        return document;
    }

    @Override
    public Document[] createStorage(int size) {
        return new Document[size];
    }
}
