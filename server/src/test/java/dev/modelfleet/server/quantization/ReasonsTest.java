package dev.modelfleet.server.quantization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Failure reasons are kept whole; where bounded, cut between words with the node kept. */
class ReasonsTest {

  /** The shape of ONNX Runtime's load errors: the node comes last, after 300 characters. */
  private static final String ORT =
      "Error code - ORT_FAIL - message: Load model from memory failed: Type Error: Type parameter"
          + " (T) of Optype (LayerNormalization) bound to different types (tensor(float) and"
          + " tensor(float16) in node (/encoder/layers.0/self_attn_layer_norm/Mul/LayerNormFusion/)."
          + " The graph was optimised with level ORT_ENABLE_ALL before the type check ran, so the"
          + " fused node carries the first operator's name.";

  @Test
  void aReasonUnderTheLimitIsKeptWhole() {
    assertTrue(ORT.length() > 300);
    assertEquals(ORT, Reasons.bounded(ORT, Reasons.LIMIT));
  }

  @Test
  void aLongReasonIsCutAfterASentenceOrAWordAndKeepsTheNode() {
    String longer = ORT + " " + "padding words ".repeat(400) + "in node (last_node).";
    String cut = Reasons.bounded(longer, 500);
    assertTrue(cut.length() <= 500, cut);
    assertTrue(cut.endsWith("… (node last_node)"), cut);
    String head = cut.substring(0, cut.indexOf(" …"));
    assertTrue(longer.startsWith(head), cut);
    char next = longer.charAt(head.length());
    assertTrue(Character.isWhitespace(next) || head.endsWith("."), "cut inside a word: " + cut);
    // the sentence that names the fused node survives whole
    assertTrue(cut.contains("self_attn_layer_norm/Mul/LayerNormFusion/)."), cut);
  }

  @Test
  void aCutNeverEndsInsideAWord() {
    String text =
        "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi".repeat(9);
    for (int limit = 20; limit < 200; limit += 7) {
      String cut = Reasons.bounded(text, limit);
      String head = cut.substring(0, cut.lastIndexOf(" …"));
      assertTrue(cut.length() <= limit, cut);
      assertTrue(
          head.length() == text.length() || !Character.isLetter(text.charAt(head.length())),
          limit + ": " + cut);
    }
  }
}
