package dev.modelfleet.e2e.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.modelfleet.protocol.agent.v1.ModelCounters;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Which devices a behaviour picks, which behaviour applies, and the figures it shapes. */
class VersionBehaviourTest {

  @Test
  void sharesPickAboutThatManyDevicesTheSameEachTimeAndNeverOneForBoth() {
    VersionBehaviour bad =
        VersionBehaviour.forVersion("2").withFailShare(0.1, "load-failed").withSilentShare(0.2);
    int failing = 0;
    int silent = 0;
    int devices = 20_000;
    for (int i = 0; i < devices; i++) {
      String id = UUID.randomUUID().toString();
      assertEquals(bad.failsOn(id), bad.failsOn(id), "decided by the id alone");
      assertFalse(bad.failsOn(id) && bad.silentOn(id), id);
      failing += bad.failsOn(id) ? 1 : 0;
      silent += bad.silentOn(id) ? 1 : 0;
    }
    assertEquals(0.1, failing / (double) devices, 0.01);
    assertEquals(0.2, silent / (double) devices, 0.01);
    VersionBehaviour healthy = VersionBehaviour.forVersion("2");
    assertFalse(healthy.failsOn("any") || healthy.silentOn("any"));
  }

  @Test
  void theMostSpecificBehaviourApplies() {
    VersionBehaviour anyTwo = VersionBehaviour.forVersion("2").withErrorRate(0.1);
    VersionBehaviour vadTwo = anyTwo.forModelVersion("vad", "2").withErrorRate(0.2);
    VersionBehaviour everything = VersionBehaviour.forVersion("*").withErrorRate(0.3);
    Behaviours behaviours = new Behaviours(List.of(vadTwo, everything, anyTwo));
    assertSame(vadTwo, behaviours.of("vad", "2"));
    assertSame(anyTwo, behaviours.of("kws", "2"));
    assertSame(everything, behaviours.of("vad", "3"));
    behaviours.put(anyTwo.withErrorRate(0.9));
    assertEquals(0.9, behaviours.of("kws", "2").errorRate(), "replaced, not added beside");
    assertEquals(3, behaviours.all().size());
    assertSame(VersionBehaviour.HEALTHY, new Behaviours(List.of()).of("vad", "1"));
  }

  @Test
  void heartbeatsCarryEveryVersionServedAndOnlyTheServingOneGrows() {
    Behaviours behaviours =
        new Behaviours(
            List.of(
                VersionBehaviour.forVersion("2")
                    .withErrorRate(0.25)
                    .withLatency(10, 40)
                    .withProvider("cpu")));
    ServingCounters counters = new ServingCounters();
    counters.serving("vad", "1", "v1-cuda", "cuda");
    counters.beat(100, behaviours);
    List<ModelCounters> first = counters.beat(100, behaviours);
    assertEquals(1, first.size());
    assertEquals(
        ModelCounters.newBuilder()
            .setModel("vad")
            .setVersion("1")
            .setVariantId("v1-cuda")
            .setRequests(200)
            .setErrors(0)
            .setP50Ms(1)
            .setP95Ms(2)
            .setExecutionProviderUsed("cuda")
            .build(),
        first.get(0));

    counters.serving("vad", "2", "v2-cuda", "cuda");
    List<ModelCounters> after = counters.beat(10, behaviours);
    assertEquals(2, after.size(), "the replaced version stays, for the rollout gates");
    assertEquals(200, after.get(0).getRequests(), "no traffic on a replaced version");
    ModelCounters two = after.get(1);
    assertEquals(10, two.getRequests());
    assertEquals(2, two.getErrors(), "2.5 errors so far, rounded down");
    assertEquals(40, two.getP95Ms());
    assertEquals("cpu", two.getExecutionProviderUsed(), "a silent fallback from cuda");
    assertEquals(5, counters.beat(10, behaviours).get(1).getErrors());

    counters.stopped("vad");
    assertEquals(20, counters.beat(10, behaviours).get(1).getRequests());
  }
}
