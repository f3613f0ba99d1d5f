package dev.modelfleet.agent.cli;

import com.google.protobuf.ByteString;
import dev.modelfleet.agent.config.AgentConfig;
import dev.modelfleet.agent.config.ConfigException;
import dev.modelfleet.agent.config.ExposedToken;
import dev.modelfleet.agent.deploy.ActiveModelRestorer;
import dev.modelfleet.agent.deploy.Deployer;
import dev.modelfleet.agent.deploy.SmokeTestedLoader;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.download.PreferHttpArtifactSource;
import dev.modelfleet.agent.hardware.DeviceHardware;
import dev.modelfleet.agent.hardware.HardwareProbe;
import dev.modelfleet.agent.hardware.SimulatedProfile;
import dev.modelfleet.agent.identity.DeviceIdentity;
import dev.modelfleet.agent.identity.Enrollment;
import dev.modelfleet.agent.identity.IdentityStore;
import dev.modelfleet.agent.inference.InferenceServer;
import dev.modelfleet.agent.runtime.ModelLoader;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.OrtModelLoader;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.state.SecureFiles;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.sync.AgentChannels;
import dev.modelfleet.agent.sync.Backoff;
import dev.modelfleet.agent.sync.BearerCredentialInterceptor;
import dev.modelfleet.agent.sync.GrpcArtifactSource;
import dev.modelfleet.agent.sync.SwitchableChannel;
import dev.modelfleet.agent.sync.SyncClient;
import dev.modelfleet.agent.tls.CertificateRenewer;
import dev.modelfleet.agent.tls.CertificateRequest;
import dev.modelfleet.agent.tls.TlsIdentity;
import dev.modelfleet.agent.tls.TlsIdentityStore;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.trust.RootPin;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One running agent: restores its models from disk, serves the local inference API, then enrolls if
 * needed and keeps its Sync session. The order matters: a device serves what it had before it talks
 * to any server, so it works offline.
 */
public final class Agent implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger("modelfleet.agent");
  public static final String VERSION = version();

  private final AgentConfig config;
  private final DeviceHardware hardware;
  private final ModelLoader modelLoader;
  private final ModelRegistry registry = new ModelRegistry();
  private StateStore store;
  private InferenceServer http;
  private SwitchableChannel channel;
  private SyncClient sync;
  private CertificateRenewer renewer;
  private DeviceMeasurements measurements;
  private boolean exposedTokenWarned;

  public Agent(AgentConfig config) throws ConfigException {
    this.config = config;
    this.hardware =
        new DeviceHardware(
            new HardwareProbe(),
            config.stateDir(),
            VERSION,
            config.simulateProfile() == null
                ? null
                : SimulatedProfile.read(config.simulateProfile()),
            config.simulateProviderFallback());
    this.modelLoader = new OrtModelLoader(config.ortThreads(), hardware.providers());
  }

  /** Restores models and opens the inference API; returns its port. Needs no network. */
  public int startLocal() throws IOException {
    SecureFiles.ownerOnlyDirectory(config.stateDir());
    store = new StateStore(config.stateDir());
    ActiveModelRestorer.restore(store, new SmokeTestedLoader(modelLoader), registry);
    http =
        new InferenceServer(
                registry,
                this::ready,
                name -> store.current().active(name) != null,
                config.httpPort(),
                config.inferenceThreads(),
                VERSION)
            .start();
    int port = http.port();
    SecureFiles.writeAtomically(
        config.stateDir().resolve("inference.port"),
        (port + "\n").getBytes(StandardCharsets.US_ASCII));
    System.out.println("modelfleet-agent: inference API listening on http://127.0.0.1:" + port);
    System.out.flush();
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
  public SyncClient connect() throws ConfigException, IOException, InterruptedException {
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
    // Enroll goes over TLS without a client certificate (the device has none yet); the channel
    // is replaced by one presenting the certificate as soon as there is one.
    channel =
        new SwitchableChannel(
            fleetCa == null
                ? AgentChannels.plaintext(config.server())
                : AgentChannels.mutualTls(config.server(), fleetCa, null));
    DeviceIdentity identity;
    try {
      identity =
          enrolling
              ? enroll(identities, pin, fleetCa == null ? null : tlsStore)
              : identities.load(pin);
    } catch (VerificationException e) {
      throw new ConfigException(e.getMessage());
    }
    TlsIdentity tls = fleetCa == null ? null : tlsStore.load();
    if (tls != null) {
      channel.replace(AgentChannels.mutualTls(config.server(), fleetCa, tls));
    }
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
    BearerCredentialInterceptor credential = new BearerCredentialInterceptor(identity.credential());
    PreferHttpArtifactSource artifacts =
        new PreferHttpArtifactSource(
            new GrpcArtifactSource(
                AgentServiceGrpc.newBlockingStub(channel).withInterceptors(credential)),
            identity::credential);
    ArtifactDownloader downloader =
        new ArtifactDownloader(
            artifacts, store::artifact, store::partial, 5, 500, config.downloadFloor());
    SyncClient[] self = new SyncClient[1];
    DesiredStateVerifier verifier =
        new DesiredStateVerifier(
            identity::trustedRoot, identity.deviceId(), System::currentTimeMillis);
    Deployer deployer =
        new Deployer(
            verifier,
            downloader,
            modelLoader,
            registry,
            store,
            p -> self[0].sendProgress(p),
            hardware::facts);
    measurements =
        new DeviceMeasurements(
            hardware, config.stateDir(), verifier, downloader, modelLoader, () -> self[0]);
    sync =
        new SyncClient(
            AgentServiceGrpc.newStub(channel).withInterceptors(credential),
            measurements::helloProfile,
            deployer,
            registry,
            store,
            new Backoff(500, 30_000));
    self[0] = sync;
    sync.onRequest(measurements::handle);
    sync.onRootUpdate(
        () -> identity.trustedRoot().version(),
        update -> identity.roots().accept(update, System::currentTimeMillis, sync::sendProgress));
    measurements.start(enrolling);
    String serverHost = config.server().substring(0, config.server().lastIndexOf(':'));
    // With TLS, model bytes never travel in plaintext: only an https address is taken, and the
    // server's plain HTTP port is ignored (FetchArtifact over the mutual-TLS channel instead).
    sync.onConfig(
        announced ->
            artifacts.announce(
                tls == null || announced.getArtifactBaseUrl().startsWith("https://")
                    ? announced.getArtifactBaseUrl()
                    : "",
                tls == null ? announced.getHttpPort() : 0,
                serverHost));
    if (tls != null) {
      renewer =
          new CertificateRenewer(
                  identity.deviceId(),
                  tlsStore,
                  AgentServiceGrpc.newBlockingStub(channel).withInterceptors(credential),
                  renewed -> reconnectWith(fleetCa, renewed),
                  config.certificateRenewalPercent())
              .start(tls);
    }
    return sync.start();
  }

  private void reconnectWith(List<X509Certificate> fleetCa, TlsIdentity renewed) {
    try {
      channel.replace(AgentChannels.mutualTls(config.server(), fleetCa, renewed));
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

  /** With {@code tlsStore}, also asks for a device certificate and stores it with its key. */
  private DeviceIdentity enroll(IdentityStore identities, RootPin pin, TlsIdentityStore tlsStore)
      throws ConfigException, IOException, VerificationException, InterruptedException {
    String name = config.name() != null ? config.name() : hardware.profile().getHostname();
    Backoff backoff = new Backoff(500, 30_000);
    AgentServiceGrpc.AgentServiceBlockingStub stub = AgentServiceGrpc.newBlockingStub(channel);
    KeyPair tlsKey = tlsStore == null ? null : CertificateRequest.newKeyPair();
    while (true) {
      try {
        DeviceIdentity identity =
            Enrollment.enroll(
                identities,
                request ->
                    tlsKey == null
                        ? stub.withDeadlineAfter(30, TimeUnit.SECONDS).enroll(request)
                        : enrollWithCertificate(stub, request, tlsKey, tlsStore),
                config.token(),
                name,
                hardware.profile(),
                pin,
                System.currentTimeMillis());
        LOG.info("enrolled as device " + identity.deviceId());
        return identity;
      } catch (StatusRuntimeException e) {
        Status status = e.getStatus();
        switch (status.getCode()) {
          case PERMISSION_DENIED ->
              throw new ConfigException(
                  "enrollment refused: the token is"
                      + " unknown, revoked, expired or used up ("
                      + status.getDescription()
                      + "); ask an operator for a new token");
          case INVALID_ARGUMENT ->
              throw new ConfigException(
                  "enrollment refused as malformed ("
                      + status.getDescription()
                      + "); check --token");
          default -> {
            long delay = backoff.nextDelayMs();
            LOG.info(
                "enrollment: server "
                    + config.server()
                    + " not reachable ("
                    + status.getCode()
                    + "); retrying in "
                    + delay
                    + " ms");
            Thread.sleep(delay);
          }
        }
      }
    }
  }

  /** The key and certificate are stored before Enrollment stores the identity that needs them. */
  private static dev.modelfleet.protocol.agent.v1.EnrollResponse enrollWithCertificate(
      AgentServiceGrpc.AgentServiceBlockingStub stub,
      dev.modelfleet.protocol.agent.v1.EnrollRequest request,
      KeyPair tlsKey,
      TlsIdentityStore tlsStore) {
    var response =
        stub.withDeadlineAfter(30, TimeUnit.SECONDS)
            .enroll(
                request.toBuilder()
                    .setCertificateRequest(
                        ByteString.copyFrom(CertificateRequest.create(tlsKey, "")))
                    .build());
    try {
      X509Certificate certificate =
          TlsIdentityStore.certificate(response.getDeviceCertificate().toByteArray());
      if (!certificate.getPublicKey().equals(tlsKey.getPublic())) {
        throw new GeneralSecurityException("it certifies another key than this device's");
      }
      tlsStore.save(new TlsIdentity(tlsKey.getPrivate(), certificate));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(
          "the server's device certificate is unusable: "
              + e.getMessage()
              + " (does the server run with modelfleet.agent-tls.mode=mutual?)",
          e);
    }
    return response;
  }

  public ModelRegistry registry() {
    return registry;
  }

  public StateStore store() {
    return store;
  }

  @Override
  public void close() {
    if (renewer != null) {
      renewer.close();
    }
    if (sync != null) {
      sync.close();
    }
    if (measurements != null) {
      measurements.close();
    }
    if (channel != null) {
      channel.shutdownNow();
    }
    if (http != null) {
      http.close();
    }
    registry.closeAll();
  }

  private static String version() {
    String v = Agent.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
