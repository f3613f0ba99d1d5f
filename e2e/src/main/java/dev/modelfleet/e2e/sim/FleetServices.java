package dev.modelfleet.e2e.sim;

import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What every simulated device of a fleet shares: the servers, the one scheduler that runs all
 * heartbeats and reconnects, the download pool, the behaviours and the tallies.
 *
 * @param heartbeatOverrideMillis 0: the interval the server states
 */
record FleetServices(
    List<FleetServer> servers,
    ScheduledExecutorService scheduler,
    FleetCounters counters,
    Behaviours behaviours,
    ArtifactDownloads downloads,
    long heartbeatOverrideMillis,
    long requestsPerHeartbeat) {}
