package dev.modelfleet.server.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.ApiException;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LabelSelectorTest {

  private static final Map<String, String> LABELS =
      Map.of("site", "lab", "tier", "edge", "gpu", "");

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "''                        | true",
        "site=lab                  | true",
        "site==lab                 | true",
        "site = lab                | true",
        "site=plant                | false",
        "site!=plant               | true",
        "site!=lab                 | false",
        "missing!=x                | true",
        "site in (lab, plant)      | true",
        "site in (plant)           | false",
        "site notin (plant,depot)  | true",
        "site notin (lab)          | false",
        "missing notin (lab)       | true",
        "missing in (lab)          | false",
        "tier                      | true",
        "missing                   | false",
        "!missing                  | true",
        "!tier                     | false",
        "gpu=                      | true",
        "site=lab,tier=edge        | true",
        "site=lab, tier in (core)  | false",
        "site in (lab,x),!missing,tier | true",
      })
  void matches(String selector, boolean expected) {
    assertEquals(expected, LabelSelector.parse(selector).test(LABELS), selector);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "site=lab,",
        ",site",
        "site in ()",
        "site in (a",
        "site in a,b)",
        "site=lab=x",
        "bad key",
        "site in ((a))",
        "!",
        "site=va lue",
        "=lab",
        "site=-x-"
      })
  void invalidSelectorsSayWhy(String selector) {
    ApiException e = assertThrows(ApiException.class, () -> LabelSelector.parse(selector));
    assertEquals(ApiError.INVALID_LABEL_SELECTOR, e.error());
    assertTrue(e.detail().contains(selector), e.detail());
  }

  @org.junit.jupiter.api.Test
  void emptyMatchesEverything() {
    assertTrue(LabelSelector.parse(null).test(Map.of()));
    assertFalse(LabelSelector.parse("a").test(Map.of()));
  }
}
