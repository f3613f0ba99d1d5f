package dev.modelfleet.agent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.testing.Eventually;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A shadow candidate beside a serving model: which requests are sampled, what a full queue does,
 * and the aggregates a heartbeat gets, with a small fake model whose answer the test chooses.
 */
class ShadowModelTest {

  static final List<Tensor> INPUT =
      List.of(new Tensor("input", "FP32", new long[] {1, 4}, new float[] {1, 2, 3, 4}));

  /** The serving model's answer: class 3 wins. */
  static final List<Tensor> SERVED =
      List.of(
          new Tensor("scores", "FP32", new long[] {1, 4}, new float[] {0.1f, 0.2f, 0.3f, 0.9f}));

  /** Answers {@code scores}, or fails, or waits for a latch first, as told. */
  static final class Candidate implements LoadedModel {
    volatile float[] scores = {0.1f, 0.2f, 0.3f, 0.9f};
    volatile boolean fails;
    volatile CountDownLatch gate;
    final AtomicInteger runs = new AtomicInteger();
    volatile boolean closed;

    @Override
    public List<TensorSpec> inputs() {
      return List.of(new TensorSpec("input", "FP32", new long[] {-1, 4}));
    }

    @Override
    public List<TensorSpec> outputs() {
      return List.of(new TensorSpec("scores", "FP32", new long[] {-1, 4}));
    }

    @Override
    public List<Tensor> infer(List<Tensor> inputs, Set<String> outputs) throws InferenceException {
      runs.incrementAndGet();
      CountDownLatch wait = gate;
      if (wait != null) {
        try {
          wait.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (fails) {
        throw new InferenceException(false, "ONNX Runtime failed");
      }
      return List.of(new Tensor("scores", "FP32", new long[] {1, 4}, scores.clone()));
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  static ShadowModel shadow(Candidate candidate, String comparison, double rate, int perSecond) {
    return new ShadowModel(
        "m", "2", "sha-2", new ShadowSettings(comparison, rate, perSecond), candidate);
  }

  static void offer(ShadowModel shadow, int times) {
    for (int i = 0; i < times; i++) {
      shadow.offer("1", INPUT, Set.of(), SERVED, 1_000_000);
    }
  }

  @Test
  void aCandidateThatAnswersLikeTheServingModelAgreesOnEverySample() throws Exception {
    Candidate candidate = new Candidate();
    try (ShadowModel shadow = shadow(candidate, "top1>=0.99", 1.0, 0)) {
      offer(shadow, 10);
      Eventually.within(
          Duration.ofSeconds(10), () -> assertTrue(shadow.figures().compared() == 10));
      ShadowModel.Figures figures = shadow.figures();
      assertEquals(1.0, figures.value(), 1e-9);
      assertTrue(figures.passes());
      assertEquals("1", figures.servingVersion());
      assertEquals("2", figures.candidateVersion());
      assertEquals(0, figures.candidateFailures());
      assertEquals(0, figures.dropped());
      assertEquals(1.0, figures.servingP50Ms(), 1e-9);
    }
  }

  @Test
  void aCandidateWithAnotherWinnerOnHalfTheSamplesFailsTop1AgreementAtHalf() throws Exception {
    Candidate candidate = new Candidate();
    try (ShadowModel shadow = shadow(candidate, "top1>=0.99", 1.0, 0)) {
      offer(shadow, 4);
      Eventually.within(Duration.ofSeconds(10), () -> assertTrue(shadow.figures().compared() == 4));
      candidate.scores = new float[] {0.9f, 0.2f, 0.3f, 0.1f};
      offer(shadow, 4);
      Eventually.within(Duration.ofSeconds(10), () -> assertTrue(shadow.figures().compared() == 8));
      ShadowModel.Figures figures = shadow.figures();
      assertEquals(0.5, figures.value(), 1e-9);
      assertFalse(figures.passes());
    }
  }

  @Test
  void candidateFailuresAreCountedAndNeverCompared() throws Exception {
    Candidate candidate = new Candidate();
    candidate.fails = true;
    try (ShadowModel shadow = shadow(candidate, "cosine>=0.99", 1.0, 0)) {
      offer(shadow, 3);
      Eventually.within(
          Duration.ofSeconds(10), () -> assertTrue(shadow.figures().candidateFailures() == 3));
      assertEquals(0, shadow.figures().compared());
    }
  }

  @Test
  void aFullQueueDropsSamplesAndCountsThemWithoutMakingTheRequestWait() throws Exception {
    Candidate candidate = new Candidate();
    candidate.gate = new CountDownLatch(1);
    try (ShadowModel shadow = shadow(candidate, "cosine>=0.99", 1.0, 0)) {
      offer(shadow, 1);
      Eventually.within(Duration.ofSeconds(10), () -> assertTrue(candidate.runs.get() == 1));
      long start = System.nanoTime();
      offer(shadow, ShadowModel.QUEUE_CAPACITY + 25);
      long offerNanos = System.nanoTime() - start;
      // The worker is stuck on the first sample: the queue holds CAPACITY, the rest are dropped.
      assertEquals(25, shadow.figures().dropped());
      assertTrue(offerNanos < TimeUnit.SECONDS.toNanos(1), "offers never block: " + offerNanos);
      candidate.gate.countDown();
      Eventually.within(
          Duration.ofSeconds(10),
          () -> assertTrue(shadow.figures().compared() == ShadowModel.QUEUE_CAPACITY + 1));
      assertEquals(25, shadow.figures().dropped());
    }
  }

  @Test
  void theSampleRateAndThePerSecondCeilingBoundWhatIsSampled() {
    double[] draws = {0.05, 0.5, 0.09, 0.95, 0.01, 0.02, 0.03};
    AtomicInteger next = new AtomicInteger();
    AtomicLong clock = new AtomicLong();
    ShadowSampler sampler =
        new ShadowSampler(
            new ShadowSettings("cosine>=0.99", 0.1, 2),
            () -> draws[next.getAndIncrement() % draws.length],
            clock::get);
    // 0.05 in, 0.5 out, 0.09 in, 0.95 out, 0.01 over the ceiling of 2 in this second
    assertEquals(
        List.of(true, false, true, false, false),
        List.of(sampler.take(), sampler.take(), sampler.take(), sampler.take(), sampler.take()));
    assertEquals(1, sampler.overCeiling());
    clock.set(TimeUnit.SECONDS.toNanos(1));
    assertTrue(sampler.take(), "a new second, a new allowance");
  }

  @Test
  void aRateOfZeroSamplesNothing() {
    Candidate candidate = new Candidate();
    try (ShadowModel shadow = shadow(candidate, "cosine>=0.99", 0.0, 0)) {
      offer(shadow, 100);
      assertEquals(0, candidate.runs.get());
      assertEquals(0, shadow.figures().dropped());
    }
  }

  @Test
  void closingStopsTheWorkerAndClosesTheCandidate() throws Exception {
    Candidate candidate = new Candidate();
    ShadowModel shadow = shadow(candidate, "cosine>=0.99", 1.0, 0);
    ModelRegistry registry = new ModelRegistry();
    registry.shadow(shadow);
    registry.removeShadow("m");
    Eventually.within(Duration.ofSeconds(10), () -> assertTrue(candidate.closed));
    offer(shadow, 5);
    assertEquals(0, candidate.runs.get(), "a stopped candidate takes no more samples");
  }

  @Test
  void aComparisonThatIsNotASpecIsRefusedAtLoad() {
    Candidate candidate = new Candidate();
    try {
      shadow(candidate, "closeness>=0.99", 1.0, 0).close();
      throw new AssertionError("expected a refusal");
    } catch (IllegalArgumentException expected) {
      // the deployer reports it and leaves the serving model alone
    }
  }
}
