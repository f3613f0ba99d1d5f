package dev.modelfleet.e2e;

/**
 * Which of the suite's test JVMs this is: e2e/pom.xml runs the classes in several surefire forks
 * and passes each its number as modelfleet.e2e.fork=fork-N. Outside the suite (benchmarks, the
 * demo, a test run from an IDE) there is none.
 */
public final class Forks {

  private Forks() {}

  /** The fork's number ("1", "2"...), or "" when not run as one of the suite's forks. */
  public static String number() {
    String value = System.getProperty("modelfleet.e2e.fork", "");
    return value.startsWith("fork-") && value.length() > 5 && !value.contains("$")
        ? value.substring(5)
        : "";
  }
}
