package dev.modelfleet.server.quantization;

import java.util.Arrays;
import java.util.Optional;

/** A variant the server can derive, with the precision its published variant carries. */
public enum DerivationKind {
  INT8_DYNAMIC("int8-dynamic", "int8"),
  INT8_STATIC("int8-static", "int8"),
  /** QuantizeLinear/DequantizeLinear pairs that ONNX Runtime fuses into its integer kernels. */
  INT8_QDQ("int8-qdq", "int8"),
  FP16("fp16", "fp16");

  private final String wire;
  private final String precision;

  DerivationKind(String wire, String precision) {
    this.wire = wire;
    this.precision = precision;
  }

  public String wire() {
    return wire;
  }

  public String precision() {
    return precision;
  }

  /** Whether the kind measures activation ranges on the operator's calibration samples. */
  public boolean calibrates() {
    return this == INT8_STATIC || this == INT8_QDQ;
  }

  public static Optional<DerivationKind> parse(String value) {
    return Arrays.stream(values()).filter(k -> k.wire.equals(value)).findFirst();
  }
}
