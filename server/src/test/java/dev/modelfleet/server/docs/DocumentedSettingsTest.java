package dev.modelfleet.server.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.common.ModelFleetConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import io.smallrye.config.WithParentName;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server's settings in the docs and in the code agree: every setting the docs name exists, and
 * every setting the code reads is in the settings table of docs/operations.md with the default the
 * code uses.
 *
 * <p>The code's settings are every key of a {@code @ConfigMapping} interface among the server's
 * classes (read by reflection: prefix, then each method's name in kebab case), and the Quarkus keys
 * application.properties marks as operator settings by naming their environment variable in a
 * comment (QUARKUS_HTTP_PORT, ...). Defaults come from {@code @WithDefault}, else from
 * application.properties. The docs are docs/, README.md, deploy/ and application.properties' own
 * comments; a setting is named there as its environment variable (MODELFLEET_KEY_DIR) or, in
 * backticks, as its key ({@code modelfleet.key-dir}).
 */
class DocumentedSettingsTest {

  /** Tests run in server/; the docs are beside it. */
  static final Path ROOT = Path.of("..");

  static final Path PROPERTIES = Path.of("src/main/resources/application.properties");

  private static final Pattern ENV_NAME =
      Pattern.compile("\\b(?:MODELFLEET|QUARKUS)_[A-Z0-9_]*[A-Z0-9]\\b");

  /** A key in backticks: `modelfleet.key-dir` or `modelfleet.key-dir=...`. */
  private static final Pattern KEY_NAME =
      Pattern.compile("`((?:modelfleet|quarkus)\\.[a-z0-9.-]*[a-z0-9])[`=]");

  /** A key whose last part is a version (modelfleet.agent.v1) names a protocol, not a setting. */
  private static final Pattern PROTOCOL_NAME = Pattern.compile(".*\\.v[0-9]+");

  /** A default stated in prose: `NAME` (default `value`), `NAME`, default `value`. */
  private static final Pattern STATED_DEFAULT =
      Pattern.compile(
          "`((?:MODELFLEET|QUARKUS)_[A-Z0-9_]+|modelfleet\\.[a-z0-9.-]+)`,? \\(?default `([^`]+)`");

  private static final Pattern COMMENTED_DEFAULT =
      Pattern.compile("#\\s*(modelfleet\\.[a-z0-9.-]+)=(\\S+)");

  /** Every setting the code reads, by environment variable name. */
  static Map<String, Setting> code;

  /** The first column of operations.md's server settings table, with each row's default. */
  static Map<String, String> table;

  record Setting(String key, String defaultValue) {}

  record Mention(String name, String where) {}

  @BeforeAll
  static void read() throws Exception {
    Map<String, String> properties = propertyValues();
    code = new TreeMap<>();
    for (Class<?> mapping : configMappings()) {
      String prefix = mapping.getAnnotation(ConfigMapping.class).prefix();
      collectKeys(mapping, prefix, properties, code);
    }
    for (Mention mention : mentions(List.of(PROPERTIES))) {
      if (mention.name().startsWith("QUARKUS_")) {
        String key =
            properties.keySet().stream()
                .filter(k -> envName(k).equals(mention.name()))
                .findFirst()
                .orElseThrow(
                    () ->
                        new AssertionError(
                            mention.where() + " names " + mention.name() + ", but sets no key"));
        code.put(mention.name(), new Setting(key, properties.get(key)));
      }
    }
    table = settingsTable(ROOT.resolve("docs/operations.md"));
  }

  @Test
  void everySettingTheDocsNameExistsInTheCode() throws IOException {
    List<String> unknown = new ArrayList<>();
    Set<String> others = otherProgramsVariables();
    Set<String> keys = new TreeSet<>(propertyValues().keySet());
    code.values().forEach(s -> keys.add(s.key()));
    for (Mention mention : mentions(documents())) {
      boolean known =
          mention.name().contains(".")
              ? keys.contains(mention.name()) || PROTOCOL_NAME.matcher(mention.name()).matches()
              : code.containsKey(mention.name()) || others.contains(mention.name());
      if (!known) {
        unknown.add(mention.where() + ": " + mention.name());
      }
    }
    assertTrue(
        unknown.isEmpty(),
        "settings the docs name but the server does not read:\n  " + String.join("\n  ", unknown));
  }

  @Test
  void everySettingTheCodeReadsIsInTheSettingsTable() {
    Set<String> missing = new TreeSet<>(code.keySet());
    missing.removeAll(table.keySet());
    assertTrue(
        missing.isEmpty(),
        "settings the server reads that docs/operations.md's settings table does not list: "
            + missing);
  }

  @Test
  void theDocsStateTheDefaultsTheCodeUses() throws IOException {
    List<String> wrong = new ArrayList<>();
    table.forEach(
        (name, stated) -> {
          Setting setting = code.get(name);
          if (stated != null && setting != null && setting.defaultValue() != null) {
            if (!stated.equals(setting.defaultValue())) {
              wrong.add(
                  "docs/operations.md: "
                      + name
                      + " default `"
                      + stated
                      + "`, code `"
                      + setting.defaultValue()
                      + "`");
            }
          }
        });
    for (Path file : documents()) {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        String where = where(file, i);
        Matcher stated = STATED_DEFAULT.matcher(lines.get(i));
        while (stated.find()) {
          Setting setting = byName(stated.group(1));
          if (setting != null
              && setting.defaultValue() != null
              && !setting.defaultValue().equals(stated.group(2))) {
            wrong.add(
                where
                    + ": "
                    + stated.group(1)
                    + " default `"
                    + stated.group(2)
                    + "`, code `"
                    + setting.defaultValue()
                    + "`");
          }
        }
        Matcher commented = COMMENTED_DEFAULT.matcher(lines.get(i));
        if (file.endsWith("application.properties") && commented.find()) {
          Setting setting = byName(commented.group(1));
          if (setting != null
              && setting.defaultValue() != null
              && !commented.group(2).startsWith("<")
              && !setting.defaultValue().equals(commented.group(2))) {
            wrong.add(
                where + ": " + commented.group(0) + ", code `" + setting.defaultValue() + "`");
          }
        }
      }
    }
    assertTrue(wrong.isEmpty(), "defaults the docs get wrong:\n  " + String.join("\n  ", wrong));
  }

  @Test
  void theCheckSeesTheServersSettings() {
    // guards the reflection above: were it to find nothing, every other test would pass
    assertEquals(
        new Setting("modelfleet.heartbeat-flush-interval", "20ms"),
        code.get("MODELFLEET_HEARTBEAT_FLUSH_INTERVAL"));
    assertEquals("modelfleet.key-dir", code.get("MODELFLEET_KEY_DIR").key());
    assertEquals("quarkus.http.port", code.get("QUARKUS_HTTP_PORT").key());
    assertTrue(table.containsKey("MODELFLEET_ADMIN_TOKEN"), table.keySet().toString());
  }

  private static String where(Path file, int index) {
    String name = file.equals(PROPERTIES) ? "application.properties" : ROOT.relativize(file) + "";
    return name + ":" + (index + 1);
  }

  private static Setting byName(String name) {
    return name.contains(".") ? code.get(envName(name)) : code.get(name);
  }

  /** What the server's config maps an environment variable to: upper case, '_' for the rest. */
  static String envName(String key) {
    return key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
  }

  private static void collectKeys(
      Class<?> mapping, String prefix, Map<String, String> properties, Map<String, Setting> into) {
    for (Method method : mapping.getMethods()) {
      if (!Modifier.isAbstract(method.getModifiers()) || method.getParameterCount() > 0) {
        continue;
      }
      String name =
          method.isAnnotationPresent(WithName.class)
              ? method.getAnnotation(WithName.class).value()
              : kebab(method.getName());
      String key = method.isAnnotationPresent(WithParentName.class) ? prefix : prefix + "." + name;
      Class<?> type = method.getReturnType();
      if (type.isInterface() && !type.getName().startsWith("java.")) {
        collectKeys(type, key, properties, into); // a group of settings under this name
        continue;
      }
      WithDefault fallback = method.getAnnotation(WithDefault.class);
      into.put(
          envName(key),
          new Setting(key, fallback != null ? fallback.value() : properties.get(key)));
    }
  }

  private static String kebab(String methodName) {
    return methodName.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }

  /** The server's @ConfigMapping interfaces, from its compiled classes. */
  private static List<Class<?>> configMappings() throws IOException, URISyntaxException {
    Path classes =
        Path.of(ModelFleetConfig.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<Class<?>> mappings = new ArrayList<>();
    try (Stream<Path> files = Files.walk(classes)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String name = classes.relativize(file).toString().replace('/', '.');
        try {
          Class<?> type =
              Class.forName(
                  name.substring(0, name.length() - ".class".length()),
                  false,
                  DocumentedSettingsTest.class.getClassLoader());
          if (type.isAnnotationPresent(ConfigMapping.class)) {
            mappings.add(type);
          }
        } catch (ClassNotFoundException | LinkageError e) {
          throw new AssertionError("cannot load " + name, e);
        }
      }
    }
    assertTrue(mappings.size() > 5, "found the @ConfigMapping interfaces in " + classes);
    return mappings;
  }

  /** Every key application.properties sets (in any profile), with its value outside profiles. */
  private static Map<String, String> propertyValues() throws IOException {
    Map<String, String> values = new TreeMap<>();
    for (String line : Files.readAllLines(PROPERTIES, StandardCharsets.UTF_8)) {
      String trimmed = line.trim();
      if (trimmed.isEmpty() || trimmed.startsWith("#") || !trimmed.contains("=")) {
        continue;
      }
      String key = trimmed.substring(0, trimmed.indexOf('=')).trim();
      String value = trimmed.substring(trimmed.indexOf('=') + 1).trim();
      if (key.startsWith("%")) {
        values.putIfAbsent(key.substring(key.indexOf('.') + 1), null);
      } else {
        values.put(key, value);
      }
    }
    return values;
  }

  /**
   * Variables the repository's other programs read — the CLI (its sources and launcher) and the
   * agent (string literals in their sources), the tests, and the scripts, compose file and
   * container files under deploy/ (where a variable is used as {@code $NAME} / {@code ${NAME}}) —
   * so that docs naming them are not taken for server settings.
   */
  private static Set<String> otherProgramsVariables() throws IOException {
    Set<String> names = new TreeSet<>();
    Pattern literal = Pattern.compile("\"((?:MODELFLEET|QUARKUS)_[A-Z0-9_]+)\"");
    Pattern shellUse = Pattern.compile("\\$\\{?((?:MODELFLEET|QUARKUS)_[A-Z0-9_]+)");
    for (String folder : List.of("cli", "agent/src/main/java", "e2e/src", "deploy", ".ci")) {
      Path root = ROOT.resolve(folder);
      if (!Files.isDirectory(root)) {
        continue;
      }
      try (Stream<Path> walk = Files.walk(root)) {
        for (Path file :
            walk.filter(Files::isRegularFile)
                .filter(f -> !f.toString().contains("/target/"))
                .toList()) {
          String text = Files.readString(file, StandardCharsets.UTF_8);
          Pattern pattern = file.toString().endsWith(".java") ? literal : shellUse;
          Matcher m = pattern.matcher(text);
          while (m.find()) {
            names.add(m.group(1));
          }
        }
      }
    }
    names.addAll(agentEnvironmentVariables());
    return names;
  }

  /**
   * The agent reads every configuration key also as MODELFLEET_AGENT_ and the key upper-cased; it
   * makes those names rather than spelling them, so they come from its list of keys (the quoted
   * dashed words of AgentConfig.KEYS).
   */
  private static Set<String> agentEnvironmentVariables() throws IOException {
    String config =
        Files.readString(
            ROOT.resolve("agent/src/main/java/dev/modelfleet/agent/config/AgentConfig.java"),
            StandardCharsets.UTF_8);
    int keys = config.indexOf("Set<String> KEYS");
    Set<String> names = new TreeSet<>();
    if (keys < 0) {
      return names;
    }
    Matcher key =
        Pattern.compile("\"([a-z][a-z0-9-]*)\"")
            .matcher(config.substring(keys, config.indexOf(");", keys)));
    while (key.find()) {
      names.add("MODELFLEET_AGENT_" + key.group(1).toUpperCase(Locale.ROOT).replace('-', '_'));
    }
    return names;
  }

  private static List<Path> documents() throws IOException {
    List<Path> files = new ArrayList<>(List.of(ROOT.resolve("README.md"), PROPERTIES));
    for (Path folder : List.of(ROOT.resolve("docs"), ROOT.resolve("deploy"))) {
      try (Stream<Path> walk = Files.walk(folder)) {
        walk.filter(Files::isRegularFile)
            .filter(f -> !f.toString().endsWith(".java"))
            // the console's screenshots (docs/console/*.png) are no text
            .filter(f -> !f.toString().endsWith(".png"))
            .sorted()
            .forEach(files::add);
      }
    }
    return files;
  }

  /** Each setting named in these files, where. */
  private static List<Mention> mentions(List<Path> files) throws IOException {
    List<Mention> mentions = new ArrayList<>();
    for (Path file : files) {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        String where = where(file, i);
        Matcher env = ENV_NAME.matcher(lines.get(i));
        while (env.find()) {
          mentions.add(new Mention(env.group(), where));
        }
        Matcher key = KEY_NAME.matcher(lines.get(i));
        while (key.find() && !file.equals(PROPERTIES)) {
          mentions.add(new Mention(key.group(1), where));
        }
      }
    }
    return mentions;
  }

  /**
   * The server's settings table of operations.md (the one whose first column is "variable"): each
   * variable of the first column, with the default column when it is one code span.
   */
  private static Map<String, String> settingsTable(Path operations) throws IOException {
    Map<String, String> rows = new TreeMap<>();
    boolean inTable = false;
    for (String line : Files.readAllLines(operations, StandardCharsets.UTF_8)) {
      if (line.startsWith("| variable |")) {
        inTable = true;
        continue;
      }
      if (!inTable || line.startsWith("| ---")) {
        continue;
      }
      if (!line.startsWith("|")) {
        break;
      }
      String[] cells = line.split("(?<!\\\\)\\|");
      Matcher names = ENV_NAME.matcher(cells[1]);
      List<String> inFirstColumn = new ArrayList<>();
      while (names.find()) {
        inFirstColumn.add(names.group());
      }
      Matcher onlyCode = Pattern.compile("\\s*`([^`]+)`\\s*").matcher(cells[2]);
      String stated = inFirstColumn.size() == 1 && onlyCode.matches() ? onlyCode.group(1) : null;
      inFirstColumn.forEach(name -> rows.put(name, stated));
      Matcher inMeaning = ENV_NAME.matcher(cells[3]); // a row may list its companions
      while (inMeaning.find()) {
        rows.putIfAbsent(inMeaning.group(), null);
      }
    }
    assertTrue(rows.size() > 10, "found the settings table of " + operations);
    return rows;
  }
}
