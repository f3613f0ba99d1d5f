package dev.modelfleet.e2e.deploy;

import dev.modelfleet.e2e.RepoLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The server's real settings, read from its sources rather than restated here: the keys of
 * application.properties and of every {@code @ConfigMapping} interface, as the environment variable
 * names Quarkus maps them from, and the HTTP, gRPC and HTTPS artifact ports.
 */
final class ServerSettings {

  private static final Pattern MAPPING =
      Pattern.compile("@ConfigMapping\\(prefix = \"([^\"]+)\"\\)");
  private static final Pattern ACCESSOR =
      Pattern.compile("^\\s+(?!default\\b)[\\w.<>, ]+\\s+(\\w+)\\(\\);", Pattern.MULTILINE);

  private final Set<String> environmentNames;
  private final int httpPort;
  private final int grpcPort;
  private final int artifactPort;

  private ServerSettings(
      Set<String> environmentNames, int httpPort, int grpcPort, int artifactPort) {
    this.environmentNames = environmentNames;
    this.httpPort = httpPort;
    this.grpcPort = grpcPort;
    this.artifactPort = artifactPort;
  }

  static ServerSettings read(RepoLayout repo) {
    Path server = repo.root().resolve("server/src/main");
    try {
      Properties properties = new Properties();
      try (var reader =
          Files.newBufferedReader(server.resolve("resources/application.properties"))) {
        properties.load(reader);
      }
      Set<String> names = new HashSet<>();
      for (String key : properties.stringPropertyNames()) {
        // "%dev,test.quarkus.datasource.password" sets quarkus.datasource.password in dev and test
        names.add(environmentName(key.startsWith("%") ? key.substring(key.indexOf('.') + 1) : key));
      }
      try (Stream<Path> sources = Files.walk(server.resolve("java"))) {
        for (Path source : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
          names.addAll(mappedNames(Files.readString(source)));
        }
      }
      return new ServerSettings(
          Set.copyOf(names),
          Integer.parseInt(properties.getProperty("quarkus.http.port")),
          Integer.parseInt(properties.getProperty("quarkus.grpc.server.port")),
          Integer.parseInt(properties.getProperty("modelfleet.agent-tls.artifact-port")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether the server reads this environment variable. */
  boolean accepts(String environmentName) {
    return environmentNames.contains(environmentName);
  }

  int httpPort() {
    return httpPort;
  }

  int grpcPort() {
    return grpcPort;
  }

  /** The agents' HTTPS artifact port (mutual TLS). */
  int artifactPort() {
    return artifactPort;
  }

  /** quarkus.http.port -> QUARKUS_HTTP_PORT, modelfleet.key-dir -> MODELFLEET_KEY_DIR. */
  static String environmentName(String key) {
    return key.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
  }

  private static Set<String> mappedNames(String source) {
    Matcher mapping = MAPPING.matcher(source);
    if (!mapping.find()) {
      return Set.of();
    }
    Set<String> names = new HashSet<>();
    Matcher accessor = ACCESSOR.matcher(source.substring(mapping.end()));
    while (accessor.find()) {
      String kebab = accessor.group(1).replaceAll("([a-z0-9])([A-Z])", "$1-$2");
      names.add(environmentName(mapping.group(1) + "." + kebab));
    }
    return names;
  }
}
