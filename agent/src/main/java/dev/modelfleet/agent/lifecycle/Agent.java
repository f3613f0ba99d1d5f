package dev.modelfleet.agent.lifecycle;

import dev.modelfleet.agent.bundle.BundleArtifactSource;
import dev.modelfleet.agent.bundle.BundleImporter;
import dev.modelfleet.agent.bundle.ImportOutcome;
import dev.modelfleet.agent.config.AgentConfig;
import dev.modelfleet.agent.config.ConfigException;
import dev.modelfleet.agent.config.ExposedToken;
import dev.modelfleet.agent.deploy.ActiveModelRestorer;
import dev.modelfleet.agent.deploy.Deployer;
import dev.modelfleet.agent.deploy.ProgressListener;
import dev.modelfleet.agent.deploy.SmokeTestedLoader;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.download.DownloadGate;
import dev.modelfleet.agent.hardware.DeviceHardware;
import dev.modelfleet.agent.hardware.HardwareProbe;
import dev.modelfleet.agent.hardware.SimulatedProfile;
import dev.modelfleet.agent.identity.DeviceIdentity;
import dev.modelfleet.agent.identity.IdentityStore;
import dev.modelfleet.agent.inference.ApiToken;
import dev.modelfleet.agent.inference.InferenceServer;
import dev.modelfleet.agent.inference.LocalInference;
import dev.modelfleet.agent.metrics.AgentMetrics;
import dev.modelfleet.agent.runtime.ModelLoader;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.ort.OrtModelLoader;
import dev.modelfleet.agent.selfupdate.Compatibility;
import dev.modelfleet.agent.selfupdate.ReleaseSlots;
import dev.modelfleet.agent.selfupdate.SelfUpdater;
import dev.modelfleet.agent.session.Backoff;
import dev.modelfleet.agent.session.DeviceReports;
import dev.modelfleet.agent.session.OfflineHeartbeats;
import dev.modelfleet.agent.session.OfflineReports;
import dev.modelfleet.agent.session.SyncSession;
import dev.modelfleet.agent.state.SecureFiles;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.tls.CertificateRenewer;
import dev.modelfleet.agent.tls.DeviceTlsContext;
import dev.modelfleet.agent.tls.TlsIdentity;
import dev.modelfleet.agent.tls.TlsIdentityStore;
import dev.modelfleet.agent.transport.grpc.GrpcTransport;
import dev.modelfleet.agent.transport.http.DirectUrlArtifactSource;
import dev.modelfleet.agent.transport.http.PreferHttpArtifactSource;
import dev.modelfleet.agent.transport.oip.OipServer;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.trust.RootPin;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.HardwareClassId;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.logging.Logger;
import javax.net.ssl.SSLSocketFactory;

/**
 * One running agent: restores its models from disk, serves the local inference API, then enrolls if
 * needed and keeps its Sync session. The order matters: a device serves what it had before it talks
 * to any server, so it works offline.
 */
public final class Agent implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger("modelfleet.agent");
  public static final String VERSION = version();

  /** Set by modelfleet-agent-launcher for the agent it starts: someone to hand an update to. */
  public static final String LAUNCHER_ENV = "MODELFLEET_LAUNCHER";

  private final AgentConfig config;
  private final DeviceHardware hardware;
  private final ModelLoader modelLoader;
  private final AgentMetrics metrics = new AgentMetrics();
  private final ModelRegistry registry = new ModelRegistry(metrics);
  private StateStore store;
  private InferenceServer http;
  private OipServer grpc;
  private GrpcTransport transport;
  private volatile SyncSession sync;
  private volatile Deployer deployer;
  private volatile BundleImporter bundles;
  private OfflineReports offlineReports;
  private OfflineHeartbeats offlineHeartbeats;
  private AutoCloseable offlineHeartbeatTicks;
  private CertificateRenewer renewer;
  private List<X509Certificate> fleetCa;

  /** TLS with the current device certificate for the server's HTTPS artifact port. */
  private volatile SSLSocketFactory deviceTls;

  private DeviceMeasurements measurements;
  private boolean exposedTokenWarned;

  /**
   * @throws ConfigException also when the config file holds an api-token other users can read: as
   *     ssh with a private key others can read, the agent does not start behind a token that guards
   *     nothing any more
   */
  public Agent(AgentConfig config) throws ConfigException {
    if (config.exposedApiToken() != null) {
      throw new ConfigException(
          config.exposedApiToken().problem()
              + ", then start the agent again; it does not open its local API behind a token"
              + " other users can read");
    }
    this.config = config;
    this.hardware =
        new DeviceHardware(
                new HardwareProbe(),
                config.stateDir(),
                VERSION,
                config.simulateProfile() == null
                    ? null
                    : SimulatedProfile.read(config.simulateProfile()),
                config.simulateProviderFallback())
            .withLink(config.metered(), config.timeZone());
    this.modelLoader = new OrtModelLoader(config.ortThreads(), hardware.providers());
  }

  /**
   * Opens the state directory and restores the models in it, serving nothing yet: what {@code
   * import-bundle} needs when no agent runs.
   */
  public void openStore() throws IOException {
    SecureFiles.ownerOnlyDirectory(config.stateDir());
    store = new StateStore(config.stateDir());
    offlineReports = new OfflineReports(config.stateDir(), OFFLINE_REPORTS);
    offlineHeartbeats =
        new OfflineHeartbeats(
            config.stateDir(),
            OfflineHeartbeats.DEFAULT_MAX_COUNT,
            OfflineHeartbeats.DEFAULT_MAX_BYTES);
    ActiveModelRestorer.restore(store, new SmokeTestedLoader(modelLoader), registry);
  }

  /** Reports kept while offline; beyond this the oldest are dropped. */
  static final int OFFLINE_REPORTS = 500;

  /** Restores models and opens the inference API; returns its port. Needs no network. */
  public int startLocal() throws IOException {
    openStore();
    if (config.apiBeyondLoopback() && config.apiToken() == null) {
      LOG.warning(
          "the local inference API listens on "
              + config.bindAddress().getHostAddress()
              + " without an api-token: anything that reaches that address can run the models;"
              + " set api-token");
    }
    ApiToken token = ApiToken.of(config.apiToken());
    LocalInference inference =
        new LocalInference(registry, this::ready, name -> store.current().active(name) != null);
    http =
        new InferenceServer(
                inference,
                config.bindAddress(),
                token,
                config.httpPort(),
                config.inferenceThreads(),
                VERSION)
            .withMetrics(metrics)
            .withStatus(() -> AgentStatus.json(config, VERSION, live()))
            .withBundleImport(this::importFromApi)
            .start();
    if (config.grpcPort() != AgentConfig.GRPC_OFF) {
      grpc =
          new OipServer(
                  inference,
                  config.bindAddress(),
                  config.grpcPort(),
                  config.inferenceThreads(),
                  token,
                  VERSION)
              .start();
      SecureFiles.writeAtomically(
          config.stateDir().resolve("inference-grpc.port"),
          (grpc.port() + "\n").getBytes(StandardCharsets.US_ASCII));
      System.out.println(
          "modelfleet-agent: Open Inference Protocol gRPC listening on "
              + config.bindAddress().getHostAddress()
              + ":"
              + grpc.port());
    }
    metrics.servedModels(
        () ->
            registry.all().stream()
                .map(
                    m ->
                        new AgentMetrics.ServedModelInfo(
                            m.name(), m.version(), m.model().executionProvider()))
                .toList());
    int port = http.port();
    SecureFiles.writeAtomically(
        config.stateDir().resolve("inference.port"),
        (port + "\n").getBytes(StandardCharsets.US_ASCII));
    System.out.println(
        "modelfleet-agent: inference API listening on http://"
            + hostLiteral(config.bindAddress())
            + ":"
            + port);
    System.out.flush();
    // with "local inference API closed" below: where a restart's serving gap goes (the log's
    // timestamps against the launcher's; the process's own start time is only second-exact)
    LOG.info("serving " + registry.all().size() + " model(s) from disk");
    return port;
  }

  /**
   * Ready when every model the agent has activated (and so promised to serve) is in service. With
   * none activated yet the agent is ready: nothing is expected of it.
   */
  public boolean ready() {
    return store.current().activeModels().stream()
        .allMatch(
            m -> {
              ServedModel served = registry.peek(m.model());
              return served != null && served.sha256().equals(m.sha256());
            });
  }

  /** Fails early, before anything starts, when the settings cannot lead to a Sync session. */
  public void checkConfigForSync() throws ConfigException, IOException {
    if (config.server() == null) {
      throw new ConfigException(
          "no server: pass --server host:port (the control plane's gRPC"
              + " port) or set server= in the config file");
    }
    IdentityStore identities = new IdentityStore(config.stateDir());
    checkTokenFile(identities);
    rootPin(identities);
    if (!identities.enrolled() && config.token() == null) {
      throw new ConfigException(
          "this device is not enrolled yet: pass --token with an"
              + " enrollment token from an operator");
    }
  }

  /**
   * A token other users can read is refused before it is used: the agent does not enroll with it.
   * An enrolled device no longer uses it, and is not stopped (it serves its models): it warns at
   * every start instead.
   */
  private void checkTokenFile(IdentityStore identities) throws ConfigException {
    ExposedToken exposed = config.exposedToken();
    if (exposed == null) {
      return;
    }
    if (!identities.enrolled()) {
      throw new ConfigException(
          exposed.problem()
              + ", then start the agent again; it does not"
              + " enroll with a token other users can read");
    }
    if (!exposedTokenWarned) {
      exposedTokenWarned = true;
      LOG.warning(
          exposed.problem()
              + ", or remove the token: this device is enrolled and no"
              + " longer uses it");
    }
  }

  /** Enrolls if needed and starts the Sync session. */
  public SyncSession connect() throws ConfigException, IOException, InterruptedException {
    checkConfigForSync();
    IdentityStore identities = new IdentityStore(config.stateDir());
    RootPin pin = rootPin(identities);
    List<X509Certificate> fleetCa = fleetCa();
    TlsIdentityStore tlsStore = new TlsIdentityStore(config.stateDir());
    boolean enrolling = !identities.enrolled();
    if (fleetCa != null && !enrolling && !tlsStore.exists()) {
      throw new ConfigException(
          "this device enrolled without TLS (no "
              + config.stateDir()
              + "/tls.pem), but server-ca is set: enroll it again with a fresh state directory, or"
              + " drop server-ca if the server runs without mutual TLS");
    }
    // Enroll goes over TLS without a client certificate (the device has none yet); the
    // connection is replaced by one presenting the certificate as soon as there is one.
    transport = new GrpcTransport(config.server(), fleetCa);
    DeviceIdentity identity;
    try {
      identity =
          enrolling
              ? transport.enroll(
                  identities,
                  pin,
                  fleetCa == null ? null : tlsStore,
                  config.token(),
                  config.name() != null ? config.name() : hardware.profile().getHostname(),
                  hardware::profile)
              : identities.load(pin);
    } catch (VerificationException e) {
      throw new ConfigException(e.getMessage());
    }
    TlsIdentity tls = fleetCa == null ? null : tlsStore.load();
    if (tls != null) {
      transport.present(tls);
      this.fleetCa = fleetCa;
      deviceTls = DeviceTlsContext.socketFactory(fleetCa, tls);
    }
    JsonLineLogFormat.deviceId(identity.deviceId());
    warnIfRootExpired(identity);
    LOG.info(
        "device "
            + identity.deviceId()
            + " (root metadata version "
            + identity.trustedRoot().version()
            + ", "
            + identity.trustedRoot().targetsKeys().size()
            + " targets key(s)) syncing with "
            + config.server());
    PreferHttpArtifactSource artifacts =
        new PreferHttpArtifactSource(
            transport.artifacts(identity),
            identity::credential,
            tls == null ? null : () -> deviceTls,
            transport::serverProtocol);
    SyncSession[] self = new SyncSession[1];
    DirectUrlArtifactSource direct =
        new DirectUrlArtifactSource(
            artifacts, shas -> self[0].requestArtifactUrls(shas), System::currentTimeMillis);
    BundleArtifactSource fromBundles = new BundleArtifactSource(direct);
    ArtifactDownloader downloader =
        new ArtifactDownloader(
                fromBundles, store::artifact, store::partial, 5, 500, config.downloadFloor())
            .countInto(metrics)
            .governedBy(
                new DownloadGate(
                    config.policyClock(),
                    config.metered(),
                    config.timeZone(),
                    config.stateDir().resolve("download-budget")));
    DesiredStateVerifier verifier =
        new DesiredStateVerifier(
                identity::trustedRoot, identity.deviceId(), System::currentTimeMillis)
            .withHardwareClass(this::hardwareClass);
    ProgressListener progress = reporting(p -> self[0].sendProgress(p));
    deployer =
        deployer(verifier, downloader, progress)
            .withReleases(
                new SelfUpdater(
                    VERSION,
                    System.getenv(LAUNCHER_ENV) != null,
                    new ReleaseSlots(config.stateDir()),
                    new Compatibility(transport::serverProtocol, config.configVersion()),
                    verifier,
                    downloader,
                    hardware::facts,
                    this::ready,
                    progress,
                    Agent::restartIntoNewRelease));
    bundles =
        new BundleImporter(identity, pin, store, deployer, fromBundles, System::currentTimeMillis)
            .withHardwareClass(this::hardwareClass);
    measurements =
        new DeviceMeasurements(
            hardware, config.stateDir(), verifier, downloader, modelLoader, () -> self[0]);
    sync =
        new SyncSession(
            transport.controlPlane(identity),
            new DeviceReports(
                    measurements::helloProfile,
                    store,
                    registry,
                    () -> identity.trustedRoot().version())
                .reportingAgent(VERSION, config.configVersion()),
            desiredState -> {
              metrics.synced(System.currentTimeMillis());
              deployer.apply(desiredState);
            },
            new Backoff(500, 30_000));
    sync.queueWhileOffline(offlineReports).heartbeatsWhileOffline(offlineHeartbeats);
    recordOfflineHeartbeats(sync::keepHeartbeatIfOffline);
    self[0] = sync;
    sync.onRequests(measurements::benchmarkRequested, measurements::trialRequested);
    sync.onArtifactUrls(direct::accept);
    sync.onRootUpdate(
        update -> identity.roots().accept(update, System::currentTimeMillis, sync::sendProgress));
    measurements.start(enrolling);
    String serverHost = config.server().substring(0, config.server().lastIndexOf(':'));
    // With TLS, model bytes never travel in plaintext: only an https address or the server's
    // HTTPS artifact port is taken, and the server's plain HTTP port is ignored (FetchArtifact
    // over the mutual-TLS channel when the server offers no HTTPS).
    metrics.rootExpiry(() -> identity.trustedRoot().expiresAtMs());
    sync.onConfig(
        announced -> {
          metrics.synced(System.currentTimeMillis());
          artifacts.announce(
              tls == null || announced.getArtifactBaseUrl().startsWith("https://")
                  ? announced.getArtifactBaseUrl()
                  : "",
              tls == null ? announced.getHttpPort() : 0,
              tls == null ? 0 : announced.getHttpsPort(),
              serverHost);
        });
    if (tls != null) {
      metrics.certificateExpires(tls.notAfter().toEpochMilli());
      renewer =
          new CertificateRenewer(
                  identity.deviceId(),
                  tlsStore,
                  transport.certificateAuthority(identity),
                  this::reconnectWith,
                  config.certificateRenewalPercent())
              .start(tls);
    }
    return sync.start();
  }

  /**
   * Exits with the status that makes the launcher start the release just installed. From its own
   * thread: the shutdown hook closes the Sync session, whose thread is the one asking.
   */
  private static void restartIntoNewRelease() {
    Thread exit =
        new Thread(() -> System.exit(ReleaseSlots.RESTART_EXIT_CODE), "self-update-restart");
    exit.start();
  }

  /**
   * The deployer both paths share: the Sync session's documents and imported bundles are applied by
   * the same code. Every report is stamped with when it was made and, during an import, with the
   * bundle's id; {@code send} sends it or queues it while offline.
   */
  private Deployer deployer(
      DesiredStateVerifier verifier, ArtifactDownloader downloader, ProgressListener progress) {
    return new Deployer(
            verifier, downloader, modelLoader, registry, store, progress, hardware::facts)
        .keepingOldVersions(config.keepOldVersions());
  }

  /**
   * What the deployer and the self-updater report through: refusals counted, each report stamped
   * with when it was made and, during an import, with the bundle's id; {@code send} sends it or
   * queues it while offline.
   */
  private ProgressListener reporting(java.util.function.Consumer<DeploymentProgress> send) {
    return p -> {
      if (p.getState() == DeploymentState.DEPLOYMENT_STATE_FAILED) {
        metrics.refused(p.getReasonCode());
      }
      DeploymentProgress stamped = p.toBuilder().setMadeAtMs(System.currentTimeMillis()).build();
      BundleImporter importer = bundles;
      send.accept(importer == null ? stamped : importer.observe(stamped));
    };
  }

  /**
   * Without a server address: an enrolled device serves its models and takes offline bundles only
   * (import-bundle); its reports wait in the state directory for the next connection.
   */
  public void startOffline() throws ConfigException, IOException {
    IdentityStore identities = new IdentityStore(config.stateDir());
    if (!identities.enrolled()) {
      startUnenrolled(identities);
      return;
    }
    RootPin pin = rootPin(identities);
    DeviceIdentity identity;
    try {
      identity = identities.load(pin);
    } catch (VerificationException e) {
      throw new ConfigException(e.getMessage());
    }
    JsonLineLogFormat.deviceId(identity.deviceId());
    BundleArtifactSource fromBundles = new BundleArtifactSource(BundleArtifactSource.offline());
    ArtifactDownloader downloader =
        new ArtifactDownloader(fromBundles, store::artifact, store::partial, 1, 0)
            .countInto(metrics);
    DesiredStateVerifier verifier =
        new DesiredStateVerifier(
                identity::trustedRoot, identity.deviceId(), System::currentTimeMillis)
            .withHardwareClass(this::hardwareClass);
    deployer = deployer(verifier, downloader, reporting(offlineReports::add));
    DeviceIdentity device = identity;
    DeviceReports reports =
        new DeviceReports(
                // a heartbeat names no hardware; only a Hello would, and none is sent offline
                () -> {
                  throw new IllegalStateException("no Hello without a server");
                },
                store,
                registry,
                () -> device.trustedRoot().version())
            .reportingAgent(VERSION, config.configVersion());
    recordOfflineHeartbeats(() -> offlineHeartbeats.add(reports.heartbeat()));
    bundles =
        new BundleImporter(identity, pin, store, deployer, fromBundles, System::currentTimeMillis)
            .withHardwareClass(this::hardwareClass);
    LOG.info(
        "device "
            + identity.deviceId()
            + " runs without a server: it serves its models and imports bundles"
            + " (modelfleet-agent import-bundle FILE)");
  }

  /**
   * This device's hardware class as the server names it, computed from the profile it reports
   * (simulated or probed): what a class bundle must name for this device to take it.
   */
  private String hardwareClass() {
    return HardwareClassId.of(hardware.profile());
  }

  /**
   * Not enrolled and no server: with the fleet's root key pinned (--root-key), it takes bundles
   * made for its hardware class only, each verified under the root chain it brings (walked from the
   * pinned keys). It enrolls as usual once it has a server address.
   */
  private void startUnenrolled(IdentityStore identities) throws ConfigException, IOException {
    RootPin pin;
    try {
      pin = rootPin(identities);
    } catch (ConfigException e) {
      throw new ConfigException(
          "this device is not enrolled: with no server address it imports bundles for its"
              + " hardware class only, and needs the fleet's root key for that ("
              + e.getMessage()
              + ")");
    }
    java.util.concurrent.atomic.AtomicReference<dev.modelfleet.agent.trust.TrustedRoot> root =
        new java.util.concurrent.atomic.AtomicReference<>();
    BundleArtifactSource fromBundles = new BundleArtifactSource(BundleArtifactSource.offline());
    ArtifactDownloader downloader =
        new ArtifactDownloader(fromBundles, store::artifact, store::partial, 1, 0)
            .countInto(metrics);
    DesiredStateVerifier verifier =
        new DesiredStateVerifier(root::get, "", System::currentTimeMillis)
            .withHardwareClass(this::hardwareClass);
    deployer = deployer(verifier, downloader, reporting(offlineReports::add));
    bundles =
        BundleImporter.unenrolled(
                pin, store, deployer, fromBundles, System::currentTimeMillis, root::set)
            .withHardwareClass(this::hardwareClass);
    LOG.info(
        "not enrolled and no server: imports bundles for hardware class "
            + hardwareClass()
            + " only (modelfleet-agent import-bundle FILE)");
  }

  private byte[] importFromApi(String path) throws InterruptedException {
    Path file;
    try {
      file = Path.of(path);
    } catch (java.nio.file.InvalidPathException e) {
      return ImportOutcome.json(
          BundleImporter.Result.refused("", "bundle-unreadable", "not a path: " + path));
    }
    return ImportOutcome.json(importBundle(file));
  }

  /** Imports a bundle through the running deployer; refused when none is set up (no identity). */
  public BundleImporter.Result importBundle(Path file) throws InterruptedException {
    BundleImporter importer = bundles;
    if (importer == null) {
      return BundleImporter.Result.refused(
          "", "agent-not-ready", "the agent has no device identity loaded yet");
    }
    return importer.importBundle(file);
  }

  private void reconnectWith(TlsIdentity renewed) {
    try {
      transport.present(renewed);
      deviceTls = DeviceTlsContext.socketFactory(fleetCa, renewed);
      metrics.certificateExpires(renewed.notAfter().toEpochMilli());
      sync.reconnect();
    } catch (IOException e) {
      LOG.warning(
          "cannot set up TLS with the renewed certificate ("
              + e.getMessage()
              + "); it is stored and used at the next start");
    }
  }

  private List<X509Certificate> fleetCa() throws ConfigException {
    if (config.serverCa() == null) {
      return null;
    }
    try {
      return TlsIdentityStore.readCertificates(config.serverCa());
    } catch (IOException e) {
      throw new ConfigException(
          "server-ca: "
              + e.getMessage()
              + "; pass --server-ca with the PEM"
              + " from GET /api/v1/trust/fleet-ca.pem");
    }
  }

  private RootPin rootPin(IdentityStore identities) throws ConfigException, IOException {
    Path file = config.rootKey();
    if (file == null && Files.exists(identities.pinnedRootKeyFile())) {
      file = identities.pinnedRootKeyFile();
    }
    if (file == null) {
      throw new ConfigException(
          "no fleet root key: pass --root-key FILE with the PEM from"
              + " GET /api/v1/trust/root.pem (or set root-key= in the config file)");
    }
    if (!Files.isReadable(file)) {
      throw new ConfigException(
          "root key file "
              + file
              + " is not readable; pass --root-key"
              + " with the PEM from GET /api/v1/trust/root.pem");
    }
    return RootPin.read(file);
  }

  /** A restart keeps an expired root (to receive a renewed one) but says what it means. */
  private static void warnIfRootExpired(DeviceIdentity identity) {
    try {
      identity.trustedRoot().checkNotExpired(System.currentTimeMillis());
    } catch (VerificationException e) {
      LOG.warning(
          e.getMessage()
              + "; desired states are refused until then, the models in"
              + " service keep serving");
    }
  }

  private AgentStatus.Live live() {
    return new AgentStatus.Live(
        registry, metrics, sync, deployer, http.port(), grpc == null ? -1 : grpc.port());
  }

  public ModelRegistry registry() {
    return registry;
  }

  public StateStore store() {
    return store;
  }

  /**
   * Runs {@code tick} (which keeps a heartbeat when no session is open) every
   * offline-heartbeat-interval; the next session sends them with their original times.
   */
  private void recordOfflineHeartbeats(Runnable tick) {
    long intervalMs = config.offlineHeartbeatIntervalSeconds() * 1000L;
    if (intervalMs > 0 && offlineHeartbeatTicks == null) {
      offlineHeartbeatTicks = OfflineHeartbeats.record(tick, intervalMs);
    }
  }

  @Override
  public void close() {
    if (offlineHeartbeatTicks != null) {
      try {
        offlineHeartbeatTicks.close();
      } catch (Exception e) {
        // stopping a scheduler does not fail
      }
    }
    if (renewer != null) {
      renewer.close();
    }
    if (sync != null) {
      sync.close();
    }
    if (measurements != null) {
      measurements.close();
    }
    if (transport != null) {
      transport.close();
    }
    if (grpc != null) {
      grpc.close();
    }
    if (http != null) {
      http.close();
      // straight to stderr in the log's format: this runs in a shutdown hook, and JUL's own hook
      // may have closed its handlers already
      System.err.println(
          java.time.Instant.now() + " INFO modelfleet.agent: local inference API closed");
    }
    registry.closeAll();
  }

  private static String hostLiteral(java.net.InetAddress address) {
    String literal = address.getHostAddress();
    return address instanceof java.net.Inet6Address ? "[" + literal + "]" : literal;
  }

  private static String version() {
    String v = Agent.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
