package dev.modelfleet.server.enrollment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AttemptBudgetTest {

  private final AtomicLong now = new AtomicLong();
  private final AttemptBudget budget = new AttemptBudget(2, 3, now::get);

  @Test
  void burstThenSteadyRatePerAddress() {
    for (int i = 0; i < 3; i++) {
      assertEquals(0, budget.take("10.0.0.1"), "within the burst");
    }
    long wait = budget.take("10.0.0.1");
    assertEquals(500_000_000L, wait, "2 per second: the next token comes in half a second");
    assertEquals(0, budget.take("10.0.0.2"), "another address has its own budget");
    now.addAndGet(500_000_000L);
    assertEquals(0, budget.take("10.0.0.1"));
    assertTrue(budget.take("10.0.0.1") > 0);
    now.addAndGet(60_000_000_000L);
    for (int i = 0; i < 3; i++) {
      assertEquals(0, budget.take("10.0.0.1"), "refills up to the burst, not beyond");
    }
    assertTrue(budget.take("10.0.0.1") > 0);
  }

  @Test
  void refusesNonsenseLimits() {
    assertThrows(IllegalArgumentException.class, () -> new AttemptBudget(0, 3, now::get));
    assertThrows(IllegalArgumentException.class, () -> new AttemptBudget(1, 0, now::get));
  }
}
