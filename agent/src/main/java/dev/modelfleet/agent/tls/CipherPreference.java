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
 * The cipher suites the agent offers, ChaCha20-Poly1305 first. The agent runs on the JVM's quick
 * compiler only (-XX:TieredStopAtLevel=1, for its footprint), which has none of the CPU's AES and
 * carry-less multiplication instructions: there AES-GCM decrypts at about 17–20 MB/s and
 * ChaCha20-Poly1305, plain arithmetic, about three times as fast; a 100 MB model over the HTTPS
 * artifact port came in 1.7–2.1× faster (docs/benchmarks.md). AES-GCM stays offered after it, for
 * servers without ChaCha20. The server's TLS (BoringSSL, or the JDK's) follows the client's order.
 */
public final class CipherPreference {

  /** In order of preference; TLS 1.3 first, then TLS 1.2 with forward secrecy. */
  public static final List<String> SUITES =
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

  private CipherPreference() {}

  /** Sockets from {@code factory} that offer {@link #SUITES} (those the JDK supports), in order. */
  public static SSLSocketFactory preferring(SSLSocketFactory factory) {
    return new Preferring(factory);
  }

  private static final class Preferring extends SSLSocketFactory {
    private final SSLSocketFactory delegate;
    private final String[] suites;

    Preferring(SSLSocketFactory delegate) {
      this.delegate = delegate;
      Set<String> supported = Set.of(delegate.getSupportedCipherSuites());
      this.suites = SUITES.stream().filter(supported::contains).toArray(String[]::new);
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
