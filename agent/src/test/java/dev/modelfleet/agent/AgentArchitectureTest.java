package dev.modelfleet.agent;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.nameStartingWith;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The agent's shape, kept by the build (docs/agent.md, "Inside the agent"): a core that knows
 * nothing of how it talks to the control plane or which runtime runs its models, adapters that plug
 * those in, and the lifecycle package that wires them, above everything.
 */
class AgentArchitectureTest {

  /**
   * The device logic: sessions, deployment, trust, state, the model registry, local inference. Not
   * listed, and free to use ONNX Runtime: {@code hardware} and {@code benchmark} measure the
   * machine and its runtime (that is their job); {@code onnx} builds sample models.
   */
  static final String[] CORE = {
    "dev.modelfleet.agent.bundle..",
    "dev.modelfleet.agent.config..",
    "dev.modelfleet.agent.deploy..",
    "dev.modelfleet.agent.download..",
    "dev.modelfleet.agent.identity..",
    "dev.modelfleet.agent.inference..",
    "dev.modelfleet.agent.metrics..",
    "dev.modelfleet.agent.runtime",
    "dev.modelfleet.agent.session..",
    "dev.modelfleet.agent.state..",
    "dev.modelfleet.agent.tls..",
    "dev.modelfleet.agent.trial..",
    "dev.modelfleet.agent.trust..",
  };

  /** How the core reaches the world: one package per thing adapted, and the wiring. */
  static final String[] ADAPTERS = {
    "dev.modelfleet.agent.transport..",
    "dev.modelfleet.agent.runtime.ort..",
    "dev.modelfleet.agent.lifecycle..",
  };

  static final JavaClasses AGENT =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.modelfleet.agent");

  @Test
  void noPackageCycles() {
    slices().matching("dev.modelfleet.agent.(**)").should().beFreeOfCycles().check(AGENT);
  }

  @Test
  void theCoreDoesNotUseAdapters() {
    noClasses()
        .that()
        .resideInAnyPackage(CORE)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(ADAPTERS)
        .check(AGENT);
  }

  @Test
  void theCoreDoesNotUseGrpcOrOnnxRuntimeThemselves() {
    noClasses()
        .that()
        .resideInAnyPackage(CORE)
        .should()
        .dependOnClassesThat(
            resideInAnyPackage("io.grpc..", "ai.onnxruntime..")
                .or(nameStartingWith("dev.modelfleet.protocol.agent.v1.AgentServiceGrpc")))
        .because("the protocol's messages are the core's data; its stubs are transport")
        .check(AGENT);
  }

  @Test
  void onlyTheLifecycleWiresAdaptersTogether() {
    noClasses()
        .that()
        .resideOutsideOfPackage("dev.modelfleet.agent.lifecycle..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.modelfleet.agent.lifecycle..")
        .check(AGENT);
    noClasses()
        .that()
        .resideInAPackage("dev.modelfleet.agent.transport.http..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.modelfleet.agent.transport.grpc..")
        .check(AGENT);
    noClasses()
        .that()
        .resideInAPackage("dev.modelfleet.agent.transport.grpc..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.modelfleet.agent.transport.http..")
        .check(AGENT);
  }
}
