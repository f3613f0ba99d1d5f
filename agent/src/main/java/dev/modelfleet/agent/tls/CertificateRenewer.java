package dev.modelfleet.agent.tls;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Renews the device certificate before it expires, without an operator: after a share of its
 * lifetime ({@code certificate-renewal-percent}, default 67) it makes a new key on the device, asks
 * RenewCertificate (authenticated by the current certificate), stores key and certificate in one
 * atomic write, and hands the new identity on so the agent reconnects with it. A failed attempt is
 * retried while the old certificate is still valid.
 */
public final class CertificateRenewer implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger("modelfleet.tls");
  static final Duration MAX_RETRY = Duration.ofMinutes(5);

  private final String deviceId;
  private final TlsIdentityStore store;
  private final CertificateAuthority authority;
  private final Consumer<TlsIdentity> renewed;
  private final int percent;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "certificate-renewal");
            t.setDaemon(true);
            return t;
          });
  private volatile TlsIdentity current;

  /**
   * @param authority asked as this device (its connection presents the current certificate)
   * @param renewed called with the stored new identity, to reconnect with it
   */
  public CertificateRenewer(
      String deviceId,
      TlsIdentityStore store,
      CertificateAuthority authority,
      Consumer<TlsIdentity> renewed,
      int percent) {
    this.deviceId = deviceId;
    this.store = store;
    this.authority = authority;
    this.renewed = renewed;
    this.percent = percent;
  }

  public CertificateRenewer start(TlsIdentity identity) {
    current = identity;
    schedule(Duration.between(Instant.now(), identity.renewAt(percent)));
    return this;
  }

  private void schedule(Duration delay) {
    long ms = Math.max(0, delay.toMillis());
    LOG.info(
        "device certificate valid until "
            + current.notAfter()
            + "; renewing in "
            + Duration.ofMillis(ms).toSeconds()
            + " s");
    timer.schedule(this::renew, ms, TimeUnit.MILLISECONDS);
  }

  private void renew() {
    try {
      KeyPair key = CertificateRequest.newKeyPair();
      X509Certificate certificate =
          TlsIdentityStore.certificate(authority.renew(CertificateRequest.create(key, deviceId)));
      if (!certificate.getPublicKey().equals(key.getPublic())) {
        throw new GeneralSecurityException("the server certified another key than ours");
      }
      TlsIdentity next = new TlsIdentity(key.getPrivate(), certificate);
      store.save(next);
      current = next;
      LOG.info("device certificate renewed, valid until " + next.notAfter());
      renewed.accept(next);
      // counted from now as well as from notBefore: a certificate backdated by a large share of
      // its lifetime must not be renewed again at once, and again, and again
      Instant now = Instant.now();
      Instant fromNow =
          now.plus(Duration.between(now, next.notAfter()).multipliedBy(percent).dividedBy(100));
      Instant at = next.renewAt(percent);
      schedule(Duration.between(now, at.isAfter(fromNow) ? at : fromNow));
    } catch (CertificateAuthority.Refused e) {
      LOG.severe(
          "certificate renewal refused ("
              + e.getMessage()
              + "); the device must be enrolled again");
    } catch (CertificateAuthority.Unavailable e) {
      retry(e.getMessage());
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      LOG.log(Level.WARNING, "certificate renewal failed", e);
      retry(e.toString());
    }
  }

  /**
   * Again after a tenth of the time left (at least 1 s, at most 5 min): many tries before expiry.
   */
  private void retry(String why) {
    Duration left = Duration.between(Instant.now(), current.notAfter());
    Duration delay = left.dividedBy(10);
    if (delay.compareTo(Duration.ofSeconds(1)) < 0) {
      delay = Duration.ofSeconds(1);
    } else if (delay.compareTo(MAX_RETRY) > 0) {
      delay = MAX_RETRY;
    }
    LOG.warning(
        "certificate renewal failed (" + why + "); retrying in " + delay.toSeconds() + " s");
    timer.schedule(this::renew, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
