package dev.modelfleet.agent.runtime.ort;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession.SessionOptions;
import dev.modelfleet.agent.runtime.ModelLoader;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The execution providers a session can be put on: those this ONNX Runtime build really has, and
 * those a simulated profile only claims. A simulated provider is never handed to ONNX Runtime (the
 * machine does not have it); a session for it runs on the CPU and is reported as "cpu", or as the
 * simulated provider when {@code simulate-provider-fallback=false}.
 */
public final class ExecutionProviders {

  public static final String CPU = ModelLoader.CPU;

  private final Set<String> real;
  private final Set<String> simulated;
  private final boolean simulatedFallsBackToCpu;

  private ExecutionProviders(Set<String> real, Set<String> simulated, boolean fallback) {
    this.real = Set.copyOf(real);
    this.simulated = Set.copyOf(simulated);
    this.simulatedFallsBackToCpu = fallback;
  }

  /** What this ONNX Runtime build offers, in its order; empty when it does not load. */
  public static ExecutionProviders detected() {
    Set<String> names = new LinkedHashSet<>();
    try {
      OrtModelLoader.environment();
      for (OrtProvider provider : OrtEnvironment.getAvailableProviders()) {
        names.add(name(provider));
      }
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      // ONNX Runtime did not load: no provider is available.
    }
    return new ExecutionProviders(names, Set.of(), true);
  }

  /** Adds providers a simulated profile claims; those this machine really has stay real. */
  public ExecutionProviders withSimulated(Collection<String> claimed, boolean fallBackToCpu) {
    Set<String> onlyClaimed = new LinkedHashSet<>(claimed);
    onlyClaimed.removeAll(real);
    return new ExecutionProviders(real, onlyClaimed, fallBackToCpu);
  }

  /** CPU → "cpu", CUDA → "cuda", CORE_ML → "coreml", TENSOR_RT → "tensorrt": manifest names. */
  public static String name(OrtProvider provider) {
    return provider.name().toLowerCase(Locale.ROOT).replace("_", "");
  }

  public Set<String> real() {
    return real;
  }

  public boolean isReal(String provider) {
    return real.contains(normalized(provider));
  }

  public boolean isSimulated(String provider) {
    return simulated.contains(normalized(provider));
  }

  /** The empty provider of an old manifest means the CPU. */
  public static String normalized(String provider) {
    return provider == null || provider.isBlank() ? CPU : provider.trim().toLowerCase(Locale.ROOT);
  }

  /**
   * What to hand ONNX Runtime for a variant that wants {@code provider}: the provider itself when
   * it is real, else the CPU.
   */
  public String sessionProvider(String provider) {
    String wanted = normalized(provider);
    return real.contains(wanted) ? wanted : CPU;
  }

  /** What to report for a session opened on {@code sessionProvider} for {@code wanted}. */
  public String reported(String wanted, String sessionProvider) {
    String name = normalized(wanted);
    if (sessionProvider.equals(CPU) && simulated.contains(name) && !simulatedFallsBackToCpu) {
      return name;
    }
    return sessionProvider;
  }

  /** Puts a real provider on the options; throws when this build cannot configure it. */
  public static void configure(SessionOptions options, String provider) throws OrtException {
    switch (normalized(provider)) {
      case CPU -> {}
      case "cuda" -> options.addCUDA(0);
      case "rocm" -> options.addROCM(0);
      case "tensorrt" -> options.addTensorrt(0);
      case "dnnl" -> options.addDnnl(true);
      case "openvino" -> options.addOpenVINO("");
      case "acl" -> options.addACL(true);
      // ArmNN left ONNX Runtime in 1.24; such a variant runs on the CPU (never "real" here)
      case "qnn" -> options.addQnn(Map.of("backend_path", "libQnnHtp.so"));
      case "webgpu" -> options.addWebGPU(Map.of());
      case "coreml" -> options.addCoreML();
      case "nnapi" -> options.addNnapi();
      case "directml" -> options.addDirectML(0);
      case "xnnpack" -> options.addXnnpack(Map.of());
      default ->
          throw new IllegalArgumentException(
              "the agent cannot configure execution" + " provider '" + provider + "'");
    }
  }
}
