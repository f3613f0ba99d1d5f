package dev.modelfleet.agent.tls;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The order of the cipher suites the agent offers, chosen by what this JVM decrypts fastest. The
 * agent ships on the JVM's quick compiler only (-XX:TieredStopAtLevel=1, for its footprint), which
 * has none of the CPU's AES and carry-less multiplication instructions: there AES-GCM decrypts at
 * about 17–20 MB/s and ChaCha20-Poly1305, plain arithmetic, about three times as fast, and a 100 MB
 * model over the HTTPS artifact port came in 1.85× as fast with it (docs/benchmarks.md). With the
 * optimising compiler (a JVM started without that flag) AES-GCM runs on those instructions and is
 * the faster one. Both orders keep the other family offered, for servers without it; the server's
 * TLS (BoringSSL, or the JDK's) follows the client's order.
 */
public final class CipherPreference {

  private static final List<String> CHACHA_FIRST =
      List.of(
          "TLS_CHACHA20_POLY1305_SHA256",
          "TLS_AES_128_GCM_SHA256",
          "TLS_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");

  private static final List<String> AES_FIRST =
      List.of(
          "TLS_AES_128_GCM_SHA256",
          "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  /** This JVM's order: TLS 1.3 first, then TLS 1.2 with forward secrecy. */
  public static final List<String> SUITES = order(quickCompilerOnly());

  private CipherPreference() {}

  /** ChaCha20 first for a JVM without the optimising compiler, AES-GCM first otherwise. */
  public static List<String> order(boolean quickCompilerOnly) {
    return quickCompilerOnly ? CHACHA_FIRST : AES_FIRST;
  }

  /**
   * Whether this JVM was started with its optimising compiler off ({@code -XX:TieredStopAtLevel}
   * below 4), as the agent's unit, image and launcher start it. Read from the command line, without
   * loading the management classes; a JVM whose arguments cannot be read counts as optimising.
   */
  static boolean quickCompilerOnly() {
    String[] arguments = ProcessHandle.current().info().arguments().orElse(new String[0]);
    boolean quick = false;
    for (String argument : arguments) {
      if (argument.startsWith("-XX:TieredStopAtLevel=")) {
        quick = !argument.endsWith("=4"); // the last one given wins, as for the JVM
      }
    }
    return quick;
  }

  /** Sockets from {@code factory} that offer {@link #SUITES} (those the JDK supports), in order. */
  public static SSLSocketFactory preferring(SSLSocketFactory factory) {
    return preferring(factory, SUITES);
  }

  /** Sockets from {@code factory} that offer {@code order} (those the JDK supports), in order. */
  public static SSLSocketFactory preferring(SSLSocketFactory factory, List<String> order) {
    return new Preferring(factory, order);
  }

  private static final class Preferring extends SSLSocketFactory {
    private final SSLSocketFactory delegate;
    private final String[] suites;

    Preferring(SSLSocketFactory delegate, List<String> order) {
      this.delegate = delegate;
      Set<String> supported = Set.of(delegate.getSupportedCipherSuites());
      this.suites = order.stream().filter(supported::contains).toArray(String[]::new);
    }

    private Socket ordered(Socket socket) {
      if (socket instanceof SSLSocket ssl) {
        SSLParameters parameters = ssl.getSSLParameters();
        parameters.setCipherSuites(suites);
        parameters.setUseCipherSuitesOrder(true);
        ssl.setSSLParameters(parameters);
      }
      return socket;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return Arrays.copyOf(suites, suites.length);
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose)
        throws IOException {
      return ordered(delegate.createSocket(s, host, port, autoClose));
    }

    @Override
    public Socket createSocket() throws IOException {
      return ordered(delegate.createSocket());
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return ordered(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
        throws IOException {
      return ordered(delegate.createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return ordered(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(
        InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
      return ordered(delegate.createSocket(address, port, localAddress, localPort));
    }
  }
}
