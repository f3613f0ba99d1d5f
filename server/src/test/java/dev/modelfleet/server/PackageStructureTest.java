package dev.modelfleet.server;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.modelfleet.server.access.AdminOnly;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceLocks;
import io.grpc.BindableService;
import io.grpc.ServerInterceptor;
import jakarta.persistence.LockModeType;
import jakarta.ws.rs.Path;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server's package rules (docs/architecture.md, "Packages"), checked on the compiled main
 * classes: features form no loop, neither do any two packages, and the core of a feature (services,
 * entities, events, views) never depends on an adapter. A feature that needs another's reaction
 * fires an event or declares an interface the other implements; it does not import it back.
 */
class PackageStructureTest {

  private static final String SERVER = "dev.modelfleet.server";

  private static JavaClasses server;

  @BeforeAll
  static void importMainClasses() {
    server =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(SERVER);
  }

  @Test
  void featuresFormNoLoop() {
    slices()
        .matching(SERVER + ".(*)..")
        .namingSlices("feature $1")
        .should()
        .beFreeOfCycles()
        .because(
            "a feature reacts to another through a CDI event or an interface it declares, not by"
                + " importing it back (docs/architecture.md)")
        .check(server);
  }

  @Test
  void packagesFormNoLoop() {
    slices()
        .matching(SERVER + ".(**)")
        .namingSlices("package $1")
        .should()
        .beFreeOfCycles()
        .because("a feature's sub-packages are layered too: the root uses them or they use it")
        .check(server);
  }

  @Test
  void coresDoNotDependOnAdapters() {
    noClasses()
        .that(isNot(ADAPTER))
        .should()
        .dependOnClassesThat(ADAPTER)
        .because(
            "REST resources, gRPC services and interceptors, and request filters translate between"
                + " a transport and the services; services, entities and events know none of them")
        .check(server);
  }

  @Test
  void deviceRowsAreLockedThroughDeviceLocksOnly() {
    noClasses()
        .that()
        .doNotHaveFullyQualifiedName(DeviceLocks.class.getName())
        .should()
        .callMethod(Device.class, "findById", Object.class, LockModeType.class)
        .because(
            "DeviceLocks.lock is the one way to lock a device row, so that the locking rule has one"
                + " home (docs/architecture.md, 'Locking')")
        .check(server);
  }

  @Test
  void resourcesOfTheAdminOnlyAreasAreMarkedSo() {
    classes()
        .that()
        .resideInAnyPackage(SERVER + ".access..", SERVER + ".audit..")
        .and()
        .areAnnotatedWith(Path.class)
        .should()
        .beAnnotatedWith(AdminOnly.class)
        .because("AccessPolicy refuses other roles by this mark after routing")
        .check(server);
  }

  /**
   * An adapter: a REST resource (a class with {@code @Path}), a gRPC service implementation or
   * interceptor, a REST request or response filter; with its nested classes (request and response
   * records).
   */
  static final DescribedPredicate<JavaClass> ADAPTER =
      DescribedPredicate.describe(
          "adapters (REST resources, gRPC services and interceptors, request filters)",
          javaClass -> isAdapter(topLevel(javaClass)));

  private static boolean isAdapter(JavaClass type) {
    return type.isAnnotatedWith(Path.class)
        || type.isAssignableTo(BindableService.class)
        || type.isAssignableTo(ServerInterceptor.class)
        || type.getMethods().stream()
            .anyMatch(
                m ->
                    m.isAnnotatedWith(ServerRequestFilter.class)
                        || m.isAnnotatedWith(ServerResponseFilter.class));
  }

  private static JavaClass topLevel(JavaClass type) {
    JavaClass top = type;
    while (top.getEnclosingClass().isPresent()) {
      top = top.getEnclosingClass().get();
    }
    return top;
  }

  private static DescribedPredicate<JavaClass> isNot(DescribedPredicate<JavaClass> predicate) {
    return DescribedPredicate.not(predicate);
  }
}
