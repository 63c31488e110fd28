package org.sportsgpt.neo4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * A tiny Neo4j 5.26 Community server for tests and CI: the embedded DBMS with its Bolt
 * connector on 127.0.0.1 only, authentication disabled and TLS off.
 *
 * <p>Usage: {@code DevServer <port> <home-dir> [pagecache-MiB]}. Prints
 * {@code READY bolt://127.0.0.1:<port>} on standard output once Bolt accepts connections,
 * then blocks until the JVM is asked to stop (SIGTERM / SIGINT); a shutdown hook then shuts
 * the DBMS down cleanly and prints {@code STOPPED}. Exit status 2 on bad arguments, 1 when
 * the DBMS fails to start (for example a port already in use).
 */
public final class DevServer {

    private static final String HOST = "127.0.0.1";
    private static final long DEFAULT_PAGECACHE_MIB = 64;

    private DevServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: DevServer <port> <home-dir> [pagecache-MiB]");
            System.exit(2);
        }
        int port;
        long pagecacheMib;
        try {
            port = Integer.parseInt(args[0]);
            pagecacheMib = args.length == 3 ? Long.parseLong(args[2]) : DEFAULT_PAGECACHE_MIB;
        } catch (NumberFormatException e) {
            System.err.println("DevServer: port and pagecache size must be integers: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (port < 1 || port > 65535 || pagecacheMib < 8) {
            System.err.println("DevServer: port must be 1..65535 and pagecache at least 8 MiB");
            System.exit(2);
        }
        Path home = Path.of(args[1]).toAbsolutePath();

        DatabaseManagementService dbms;
        try {
            Files.createDirectories(home);
            dbms = new DatabaseManagementServiceBuilder(home)
                    .setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, port))
                    .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                    .setConfig(GraphDatabaseSettings.auth_enabled, false)
                    .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pagecacheMib))
                    .setConfig(GraphDatabaseSettings.udc_enabled, false)
                    // A throwaway test home: no 256 MiB preallocated transaction logs per
                    // database, small log files, no query log (it would hold parameters).
                    .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                    .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, ByteUnit.mebiBytes(16))
                    .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
                    .setConfig(GraphDatabaseSettings.log_queries, GraphDatabaseSettings.LogQueryLevel.OFF)
                    // Bolt waits 2 x 5 s for idle connections and its Netty loops on shutdown;
                    // a test server has nothing to drain (internal settings of the pinned 5.26).
                    .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                    .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(2))
                    .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                    .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                    .build();
        } catch (Exception e) {
            System.err.println("DevServer: Neo4j failed to start on " + HOST + ":" + port
                    + " with home " + home + ": " + e);
            Throwable cause = e.getCause();
            while (cause != null) {
                System.err.println("  caused by: " + cause);
                cause = cause.getCause();
            }
            System.exit(1);
            return;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        final DatabaseManagementService running = dbms;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.shutdown();
                System.out.println("STOPPED");
                System.out.flush();
            } finally {
                stopped.countDown();
            }
        }, "sportsgpt-neo4j-shutdown"));

        System.out.println("READY bolt://" + HOST + ":" + port);
        System.out.flush();
        stopped.await();
    }
}
