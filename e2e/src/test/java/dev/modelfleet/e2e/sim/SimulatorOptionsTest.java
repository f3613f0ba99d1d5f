package dev.modelfleet.e2e.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line as a user types it, and the messages a mistake gets. */
class SimulatorOptionsTest {

  private static final String[] REQUIRED = {"--server", "a:9090", "--token", "t", "--devices", "3"};

  private static SimulatorOptions parse(String... extra) {
    List<String> args = new ArrayList<>(Arrays.asList(REQUIRED));
    args.addAll(Arrays.asList(extra));
    return SimulatorOptions.parse(args.toArray(String[]::new));
  }

  private static String refusal(String... extra) {
    return assertThrows(IllegalArgumentException.class, () -> parse(extra)).getMessage();
  }

  @Test
  void defaultsAreTheServersIntervalHealthyVersionsAndAutomaticDownloads() {
    SimulatorOptions options = parse();
    assertEquals(List.of("a:9090"), options.servers());
    assertEquals(0, options.heartbeatMillis());
    assertEquals(List.of(), options.behaviours());
    assertEquals(DownloadPath.AUTO, options.downloadPath());
    assertNull(options.downloadDir());
    assertEquals(32, options.downloadConcurrency());
    assertEquals(100, options.requestsPerHeartbeat());
    assertEquals(List.of("cpu", "cuda", "npu"), options.profiles());
  }

  @Test
  void everyOptionIsRead() {
    SimulatorOptions options =
        parse(
            "--server",
            "a:9090, b:9091",
            "--heartbeat-seconds",
            "0.25",
            "--behaviour",
            "2.0:error-rate=0.2,p95-ms=40,provider=cpu,fail-share=0.1,silent-share=0",
            "--behaviour",
            "vad@3:silent-share=1",
            "--requests-per-heartbeat",
            "7",
            "--download-path",
            "HTTP",
            "--download-dir",
            "/tmp/sim",
            "--download-concurrency",
            "4",
            "--profiles",
            "CPU,npu",
            "--duration-seconds",
            "9",
            "--name-prefix",
            "x");
    assertEquals(List.of("a:9090", "b:9091"), options.servers());
    assertEquals(250, options.heartbeatMillis());
    assertEquals(7, options.requestsPerHeartbeat());
    assertEquals(DownloadPath.HTTP, options.downloadPath());
    assertEquals(Path.of("/tmp/sim"), options.downloadDir());
    assertEquals(4, options.downloadConcurrency());
    assertEquals(List.of("cpu", "npu"), options.profiles());
    VersionBehaviour bad = options.behaviours().get(0);
    assertEquals(new VersionBehaviour(null, "2.0", 0.2, 1, 40, "cpu", 0.1, "load-failed", 0), bad);
    VersionBehaviour silent = options.behaviours().get(1);
    assertEquals("vad", silent.model());
    assertEquals("3", silent.version());
    assertEquals(1.0, silent.silentShare());
  }

  @Test
  void heartbeatMillisIsTheFinerSpelling() {
    assertEquals(40, parse("--heartbeat-millis", "40").heartbeatMillis());
    assertEquals(2000, parse("--heartbeat-seconds", "2").heartbeatMillis());
  }

  @Test
  void badValuesNameTheFlagAndWhatItTakes() {
    assertEquals(
        "--server takes host:port (the gRPC port), not 'b'", refusal("--server", "a:9090,b"));
    assertEquals(
        "--server takes host:port (the gRPC port), not 'a:99999'", refusal("--server", "a:99999"));
    assertEquals("--devices takes a whole number, not 'many'", refusal("--devices", "many"));
    assertEquals(
        "--heartbeat-seconds takes a number of seconds (e.g. 0.5), not 'soon'",
        refusal("--heartbeat-seconds", "soon"));
    assertEquals(
        "--heartbeat-seconds 0.0001 is finer than a millisecond; use --heartbeat-millis",
        refusal("--heartbeat-seconds", "0.0001"));
    assertEquals("--heartbeat-seconds cannot be negative", refusal("--heartbeat-seconds", "-1"));
    assertEquals(
        "give the heartbeat interval once, with --heartbeat-seconds or --heartbeat-millis",
        refusal("--heartbeat-seconds", "1", "--heartbeat-millis", "5"));
    assertEquals(
        "--download-path takes grpc, http, https or auto, not 'ftp'",
        refusal("--download-path", "ftp"));
    assertEquals(
        "--download-concurrency must be at least 1", refusal("--download-concurrency", "0"));
    assertEquals(
        "--profiles takes a list of [cpu, cuda, npu], not [tpu]", refusal("--profiles", "tpu"));
    assertEquals("unknown option --colour", refusal("--colour", "red"));
    assertEquals("--token needs a value", refusal("--token"));
    assertEquals("unexpected 'stray' (options start with --)", refusal("stray"));
  }

  @Test
  void mutualTlsTakesTheFleetCaAndKeepsModelBytesOffPlaintext() {
    SimulatorOptions options =
        parse("--server-ca", "/tmp/fleet-ca.pem", "--download-path", "https");
    assertEquals(Path.of("/tmp/fleet-ca.pem"), options.serverCa());
    assertTrue(options.mutualTls());
    assertEquals(DownloadPath.HTTPS, options.downloadPath());
    assertEquals(DownloadPath.AUTO, parse("--server-ca", "/tmp/fleet-ca.pem").downloadPath());
    assertEquals(
        "--download-path https needs --server-ca (the HTTPS artifact port is for mutual TLS)",
        refusal("--download-path", "https"));
    assertEquals(
        "--download-path http is plaintext; under mutual TLS (--server-ca) use https, grpc or auto",
        refusal("--server-ca", "/tmp/fleet-ca.pem", "--download-path", "http"));
  }

  @Test
  void badBehavioursSayWhichVersionAndSetting() {
    assertEquals(
        "--behaviour takes [model@]version:key=value,... (e.g. 2.0:error-rate=0.2,"
            + "p95-ms=40), not '2.0'",
        refusal("--behaviour", "2.0"));
    assertEquals(
        "--behaviour 2.0: error-rate must be between 0 and 1, not 1.5",
        refusal("--behaviour", "2.0:error-rate=1.5"));
    assertEquals(
        "--behaviour 2.0: p95-ms takes a number, not 'slow'",
        refusal("--behaviour", "2.0:p95-ms=slow"));
    assertTrue(
        refusal("--behaviour", "2.0:colour=red")
            .startsWith("--behaviour 2.0: unknown setting 'colour' (known: error-rate, p50-ms"));
    assertEquals(
        "--behaviour 2.0: 'fail-share' is not key=value", refusal("--behaviour", "2.0:fail-share"));
    assertEquals(
        "--behaviour 2.0: fail-share and silent-share together cannot exceed 1",
        refusal("--behaviour", "2.0:fail-share=0.6,silent-share=0.6"));
    assertEquals(
        "--behaviour 2.0: p50-ms (50.0) cannot exceed p95-ms (40.0); set both",
        refusal("--behaviour", "2.0:p50-ms=50,p95-ms=40"));
  }

  @Test
  void aLoneLatencyMovesTheOtherOutOfItsWay() {
    VersionBehaviour fast = VersionBehaviour.parse("1:p95-ms=0.5");
    assertEquals(0.5, fast.p50Ms());
    assertEquals(0.5, fast.p95Ms());
    VersionBehaviour slow = VersionBehaviour.parse("1:p50-ms=30");
    assertEquals(30, slow.p50Ms());
    assertEquals(30, slow.p95Ms());
  }

  @Test
  void theBuilderGivesCodeTheSameDefaultsAsTheCommandLine() {
    SimulatorOptions built = SimulatorOptions.builder("a:9090", "t", 3).build();
    assertEquals(parse(), built);
    SimulatorOptions tuned =
        SimulatorOptions.builder("a:9090,b:9091", "t", 3)
            .heartbeatMillis(100)
            .behaviour(VersionBehaviour.forVersion("2").withErrorRate(0.5))
            .downloadPath(DownloadPath.GRPC)
            .build();
    assertEquals(2, tuned.servers().size());
    assertEquals(0.5, tuned.behaviours().get(0).errorRate());
  }
}
