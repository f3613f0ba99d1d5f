package dev.modelfleet.server;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server's package rules (docs/architecture.md, "Packages"), checked on the compiled main
 * classes: features form no loop, neither do any two packages, each package uses what the table in
 * architecture.md says, and the core of a feature (services, entities, events, views) never depends
 * on an adapter. A feature that needs another's reaction fires an event or declares an interface
 * the other implements; it does not import it back.
 */
class PackageStructureTest {

  private static final String SERVER = "dev.modelfleet.server";

  /** Relative to the server module, where the build runs its tests. */
  private static final Path ARCHITECTURE_MD = Path.of("..", "docs", "architecture.md");

  private static final Pattern BACKTICKED = Pattern.compile("`([a-z.]+)`");

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
        .that(DescribedPredicate.not(ADAPTER).as("are not adapters"))
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

  /**
   * docs/architecture.md's table "Which package may use which" is the graph of the compiled
   * classes, both ways: a new dependency must be added to the table (and so be seen in review), and
   * a row must not promise a dependency that is gone.
   */
  @Test
  void packagesUseExactlyWhatArchitectureMdSays() throws IOException {
    Map<String, Set<String>> documented = documentedUses();
    Map<String, Set<String>> actual = actualUses();
    assertEquals(
        new TreeSet<>(actual.keySet()),
        new TreeSet<>(documented.keySet()),
        "the server's packages, and the rows of the table in " + ARCHITECTURE_MD);
    List<String> differences = new ArrayList<>();
    for (String from : actual.keySet()) {
      Set<String> undocumented = new TreeSet<>(actual.get(from));
      undocumented.removeAll(documented.get(from));
      Set<String> gone = new TreeSet<>(documented.get(from));
      gone.removeAll(actual.get(from));
      undocumented.forEach(to -> differences.add(from + " uses " + to + " but its row omits it"));
      gone.forEach(
          to -> differences.add(from + "'s row lists " + to + ", which it no longer uses"));
    }
    assertTrue(
        differences.isEmpty(),
        "update the table in " + ARCHITECTURE_MD + " or the code: " + differences);
  }

  @Test
  void resourcesOfTheAdminOnlyAreasAreMarkedSo() {
    classes()
        .that()
        .resideInAnyPackage(SERVER + ".access..", SERVER + ".audit..")
        .and()
        .areAnnotatedWith(jakarta.ws.rs.Path.class)
        .should()
        .beAnnotatedWith(AdminOnly.class)
        .because("AccessPolicy refuses other roles by this mark after routing")
        .check(server);
  }

  /** From each server package (relative name) to the server packages its classes use. */
  private static Map<String, Set<String>> actualUses() {
    Map<String, Set<String>> uses = new TreeMap<>();
    for (JavaClass type : server) {
      String from = relative(type.getPackageName());
      Set<String> targets = uses.computeIfAbsent(from, k -> new TreeSet<>());
      for (Dependency dependency : type.getDirectDependenciesFromSelf()) {
        String to = dependency.getTargetClass().getPackageName();
        if (to.startsWith(SERVER + ".") && !relative(to).equals(from)) {
          targets.add(relative(to));
        }
      }
    }
    return uses;
  }

  /** The table's rows: | `package` | what it holds | `used`, `used` (or —) |. */
  private static Map<String, Set<String>> documentedUses() throws IOException {
    Map<String, Set<String>> uses = new TreeMap<>();
    boolean inTable = false;
    for (String line : Files.readAllLines(ARCHITECTURE_MD)) {
      if (line.startsWith("### ")) {
        inTable = line.equals("### Which package may use which");
      } else if (inTable && line.startsWith("| `")) {
        String[] cells = line.split("\\|");
        Set<String> used = new TreeSet<>();
        Matcher names = BACKTICKED.matcher(cells[cells.length - 1]);
        while (names.find()) {
          used.add(names.group(1));
        }
        Matcher name = BACKTICKED.matcher(cells[1]);
        assertTrue(name.find(), "a row without a package: " + line);
        uses.put(name.group(1), used);
      }
    }
    assertFalse(uses.isEmpty(), "no table 'Which package may use which' in " + ARCHITECTURE_MD);
    return uses;
  }

  private static String relative(String packageName) {
    return packageName.substring(SERVER.length() + 1);
  }

  /**
   * An adapter: a REST resource (a class with {@code @Path}), a gRPC service implementation or
   * interceptor, a REST request or response filter; with its nested classes (request and response
   * records).
   */
  static final DescribedPredicate<JavaClass> ADAPTER =
      DescribedPredicate.describe(
          "are adapters (REST resources, gRPC services and interceptors, request filters)",
          javaClass -> isAdapter(topLevel(javaClass)));

  private static boolean isAdapter(JavaClass type) {
    return type.isAnnotatedWith(jakarta.ws.rs.Path.class)
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
}
