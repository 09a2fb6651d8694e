package dev.scimsync.embeddedmongo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;

/**
 * The project's embedded MongoDB-compatible server: mongo-java-server on loopback.
 *
 * <pre>
 *   java -jar embedded-mongo.jar --backend memory|h2 [--file PATH] [--host 127.0.0.1] [--port 0]
 *                                [--port-file PATH]
 * </pre>
 *
 * With --port 0 the system picks a free port; the bound port is written to --port-file (atomically,
 * after the server accepts connections), so the caller never races another process for a port.
 * SIGTERM closes the backend cleanly (the H2 MVStore file is committed and closed).
 */
public final class EmbeddedMongo {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedMongo.class);

    /**
     * The version reported to drivers. mongo-java-server's built-in 5.0 setting reports wire
     * version 8, which the current Node.js driver refuses; the commands we use behave the same at
     * the wire version of MongoDB 4.4 (9).
     */
    enum ReportedVersion implements MongoVersion {
        MONGO_4_4;

        @Override
        public List<Integer> getVersionArray() {
            return List.of(4, 4, 0);
        }

        @Override
        public int getWireVersion() {
            return 9;
        }
    }

    public static void main(String[] args) throws IOException {
        String backendName = "memory";
        String file = null;
        String host = "127.0.0.1";
        int port = 0;
        Path portFile = null;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--backend" -> backendName = required(args[i], value);
                case "--file" -> file = required(args[i], value);
                case "--host" -> host = required(args[i], value);
                case "--port" -> port = Integer.parseInt(required(args[i], value));
                case "--port-file" -> portFile = Path.of(required(args[i], value));
                default -> usage("unknown argument " + args[i]);
            }
            i++;
        }

        // Opening an H2 file rebuilds every index but `_id` from the documents (they live in memory): timed in the log.
        long openingStarted = System.nanoTime();
        MongoBackend backend = switch (backendName) {
            case "memory" -> new IndexedBackends.Memory();
            case "h2" -> {
                if (file == null) {
                    usage("--backend h2 needs --file");
                }
                Files.createDirectories(Path.of(file).toAbsolutePath().getParent());
                yield new IndexedBackends.H2(file);
            }
            default -> throw usage("unknown backend " + backendName);
        };
        backend.version(ReportedVersion.MONGO_4_4);
        log.info("backend {} opened in {} ms (indexes built{})", backendName, (System.nanoTime() - openingStarted) / 1_000_000,
            backend instanceof IndexedBackends.H2 h2 ? ", page cache " + h2.cacheSizeMb() + " MB, heap at most " + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MB" : "");

        MongoServer server = new MongoServer(backend);
        server.bind(host, port);
        InetSocketAddress address = server.getLocalAddress();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("shutting down");
            server.shutdownNow();
            log.info("stopped");
        }, "shutdown"));

        if (portFile != null) {
            Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
            Files.writeString(tmp, Integer.toString(address.getPort()) + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, portFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        log.info("listening on {}:{} (backend {}{}, reported MongoDB {} / wire {})", address.getHostString(),
            address.getPort(), backendName, file == null ? "" : " " + file,
            ReportedVersion.MONGO_4_4.toVersionString(), ReportedVersion.MONGO_4_4.getWireVersion());
    }

    private static String required(String flag, String value) {
        if (value == null) {
            throw usage(flag + " needs a value");
        }
        return value;
    }

    private static IllegalArgumentException usage(String message) {
        System.err.println("embedded-mongo: " + message);
        System.err.println("usage: java -jar embedded-mongo.jar --backend memory|h2 [--file PATH] [--host HOST] [--port N] [--port-file PATH]");
        System.exit(2);
        return new IllegalArgumentException(message);
    }
}
