package dev.modelfleet.server.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import dev.modelfleet.server.signing.Signer;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every replica runs the renewal job: runs that overlap (two transactions, as on two replicas) must
 * sign each renewal once, and one replica must not wait for another's lock. The two interleavings
 * that matter are forced, not left to timing.
 */
@QuarkusTest
class ManifestRenewalReplicasTest {

  @Inject ManifestRenewal renewal;
  @Inject Signer signing;

  @Test
  void aManifestWithoutExpiryIsRenewedOnceEvenByAReplicaThatReadItAsDue() throws Exception {
    UUID variantId = UUID.fromString(Fixtures.publishedClassifier(91).variantId());
    VariantManifest uploaded = ManifestSigning.payload(stored(variantId));
    assertEquals(1, uploaded.getTargetsVersion(), "an upload signs version 1");
    assertTrue(
        uploaded.getExpiresAtMs() > System.currentTimeMillis() + Duration.ofDays(364).toMillis());
    storeAsBeforeExpiries(variantId, uploaded);

    List<UUID> readByReplicaB = renewal.dueVariants();
    assertTrue(readByReplicaB.contains(variantId), "no expiry: due");
    renewal.renewDue(); // replica A renews and commits first
    VariantManifest renewed = ManifestSigning.payload(stored(variantId));
    assertEquals(1, renewed.getTargetsVersion(), "version 0 renewed as 1");
    assertTrue(
        renewed.getExpiresAtMs() > System.currentTimeMillis() + Duration.ofDays(364).toMillis());
    assertEquals(uploaded.getSha256(), renewed.getSha256());

    renewal.renew(readByReplicaB); // replica B acts on what it read before A's commit
    assertEquals(
        1,
        ManifestSigning.payload(stored(variantId)).getTargetsVersion(),
        "B checks again under the lock: no second renewal");
    assertFalse(renewal.dueVariants().contains(variantId), "not due before half its new lifetime");
  }

  @Test
  void aReplicaSkipsAManifestAnotherReplicaIsRenewingInsteadOfWaiting() throws Exception {
    UUID variantId = UUID.fromString(Fixtures.publishedClassifier(92).variantId());
    storeAsBeforeExpiries(variantId, ManifestSigning.payload(stored(variantId)));
    CountDownLatch aHoldsTheRow = new CountDownLatch(1);
    CountDownLatch bIsDone = new CountDownLatch(1);
    ExecutorService replicaA = Executors.newSingleThreadExecutor();
    ExecutorService replicaB = Executors.newSingleThreadExecutor();
    try {
      Future<Integer> a =
          replicaA.submit(
              () ->
                  QuarkusTransaction.requiringNew()
                      .call(
                          () -> {
                            int renewed =
                                renewal.renew(
                                    List.of(variantId)); // joins: the lock stays until commit
                            aHoldsTheRow.countDown();
                            bIsDone.await(20, TimeUnit.SECONDS);
                            return renewed;
                          }));
      assertTrue(aHoldsTheRow.await(20, TimeUnit.SECONDS));
      Future<Integer> b = replicaB.submit(() -> renewal.renew(List.of(variantId)));
      assertEquals(0, b.get(5, TimeUnit.SECONDS), "B skips the locked row, without waiting");
      bIsDone.countDown();
      assertEquals(1, a.get(20, TimeUnit.SECONDS));
    } finally {
      bIsDone.countDown();
      replicaA.shutdownNow();
      replicaB.shutdownNow();
    }
    assertEquals(1, ManifestSigning.payload(stored(variantId)).getTargetsVersion());
  }

  /** What a server from before manifest versions stored: no version, no expiry. */
  private void storeAsBeforeExpiries(UUID variantId, VariantManifest manifest) {
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              Variant variant = Variant.findById(variantId);
              variant.manifest =
                  signing
                      .signWithTargets(
                          Dsse.VARIANT_MANIFEST_TYPE,
                          manifest.toBuilder().clearTargetsVersion().clearExpiresAtMs().build())
                      .toByteArray();
            });
  }

  private static byte[] stored(UUID variantId) {
    return QuarkusTransaction.requiringNew()
        .call(() -> Variant.<Variant>findById(variantId).manifest);
  }
}
