package dev.modelfleet.server.device;

import dev.modelfleet.server.common.ApiError;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A Kubernetes-style label selector: requirements joined by commas, all of which must hold. {@code
 * k=v}, {@code k==v}, {@code k!=v}, {@code k in (a,b)}, {@code k notin (a,b)}, {@code k} (has the
 * label), {@code !k} (has not). An empty selector matches every device.
 */
public final class LabelSelector implements Predicate<Map<String, String>> {

  private static final Pattern SET_REQUIREMENT =
      Pattern.compile("(\\S+)\\s+(in|notin)\\s*\\((.*)\\)");
  private static final Pattern EQUALITY = Pattern.compile("([^=!\\s]+)\\s*(==|=|!=)\\s*(\\S*)");

  private final List<Predicate<Map<String, String>>> requirements;
  private final Map<String, String> equalities;

  private LabelSelector(
      List<Predicate<Map<String, String>>> requirements, Map<String, String> equalities) {
    this.requirements = requirements;
    this.equalities = equalities;
  }

  public static LabelSelector parse(String selector) {
    List<Predicate<Map<String, String>>> requirements = new ArrayList<>();
    Map<String, String> equalities = new LinkedHashMap<>();
    if (selector != null && !selector.isBlank()) {
      for (String part : splitTopLevel(selector)) {
        requirements.add(requirement(part.trim(), selector, equalities));
      }
    }
    return new LabelSelector(requirements, Collections.unmodifiableMap(equalities));
  }

  /**
   * The labels its {@code k=v} requirements ask for: every device it matches has all of them (the
   * converse need not hold), so a query may narrow by them first (the GIN index answers {@code
   * labels @> ...}) and leave the exact test to {@link #test}.
   */
  public Map<String, String> equalities() {
    return equalities;
  }

  /** Whether {@link #equalities} says it all: then {@code labels @> ...} is the exact test. */
  public boolean onlyEqualities() {
    return equalities.size() == requirements.size();
  }

  @Override
  public boolean test(Map<String, String> labels) {
    return requirements.stream().allMatch(r -> r.test(labels));
  }

  private static Predicate<Map<String, String>> requirement(
      String part, String selector, Map<String, String> equalities) {
    if (part.isEmpty()) {
      throw invalid(
          selector, "it has an empty requirement (two commas in a row, or a trailing comma)");
    }
    Matcher set = SET_REQUIREMENT.matcher(part);
    if (set.matches()) {
      String key = key(set.group(1), selector);
      Set<String> values = values(set.group(3), part, selector);
      boolean in = set.group(2).equals("in");
      return labels -> labels.containsKey(key) ? in == values.contains(labels.get(key)) : !in;
    }
    Matcher equality = EQUALITY.matcher(part);
    if (equality.matches()) {
      String key = key(equality.group(1), selector);
      String value = value(equality.group(3), part, selector);
      if (equality.group(2).equals("!=")) {
        return labels -> !value.equals(labels.get(key));
      }
      // "k=a,k=b" matches nothing; narrowing by either value still keeps every match
      equalities.putIfAbsent(key, value);
      return labels -> value.equals(labels.get(key));
    }
    if (part.startsWith("!")) {
      String key = key(part.substring(1).trim(), selector);
      return labels -> !labels.containsKey(key);
    }
    String key = key(part, selector);
    return labels -> labels.containsKey(key);
  }

  private static Set<String> values(String list, String part, String selector) {
    if (list.isBlank()) {
      throw invalid(selector, "'" + part + "' needs at least one value in its parentheses");
    }
    return Arrays.stream(list.split(",", -1))
        .map(v -> value(v.trim(), part, selector))
        .collect(Collectors.toUnmodifiableSet());
  }

  private static String key(String key, String selector) {
    if (!Labels.KEY.matcher(key).matches()) {
      throw invalid(selector, "'" + key + "' is not a valid label key");
    }
    return key;
  }

  private static String value(String value, String part, String selector) {
    if (!Labels.VALUE.matcher(value).matches()) {
      throw invalid(selector, "'" + value + "' in '" + part + "' is not a valid label value");
    }
    return value;
  }

  /** Splits on commas outside parentheses, so {@code k in (a,b)} stays one requirement. */
  private static List<String> splitTopLevel(String selector) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < selector.length(); i++) {
      char c = selector.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      }
      if (depth < 0 || depth > 1) {
        throw invalid(selector, "its parentheses do not match");
      }
      if (c == ',' && depth == 0) {
        parts.add(selector.substring(start, i));
        start = i + 1;
      }
    }
    if (depth != 0) {
      throw invalid(selector, "its parentheses do not match");
    }
    parts.add(selector.substring(start));
    return parts;
  }

  private static RuntimeException invalid(String selector, String why) {
    return ApiError.INVALID_LABEL_SELECTOR.exception(
        "Label selector '"
            + selector
            + "' is invalid: "
            + why
            + ". Use requirements joined by commas: k=v, k!=v, k in (a,b), k notin (a,b), k, !k.");
  }
}
