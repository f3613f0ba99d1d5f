package dev.modelfleet.cli.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The configuration file: the contexts and which one commands use unless told otherwise. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Config(
    @JsonProperty("current-context") String currentContext, List<Context> contexts) {

  public Config {
    contexts = contexts == null ? List.of() : List.copyOf(contexts);
  }

  public static Config empty() {
    return new Config(null, List.of());
  }

  public Optional<Context> find(String name) {
    return contexts.stream().filter(c -> c.name().equals(name)).findFirst();
  }

  public Optional<Context> current() {
    return currentContext == null ? Optional.empty() : find(currentContext);
  }

  /** This config with {@code context} added, or replacing the one of its name. */
  public Config with(Context context) {
    List<Context> next = new ArrayList<>();
    boolean replaced = false;
    for (Context c : contexts) {
      if (c.name().equals(context.name())) {
        next.add(context);
        replaced = true;
      } else {
        next.add(c);
      }
    }
    if (!replaced) {
      next.add(context);
    }
    return new Config(currentContext, next);
  }

  public Config without(String name) {
    return new Config(
        name.equals(currentContext) ? null : currentContext,
        contexts.stream().filter(c -> !c.name().equals(name)).toList());
  }

  public Config using(String name) {
    return new Config(name, contexts);
  }

  /** Whether any context holds a token (the file is then a secret). */
  public boolean holdsTokens() {
    return contexts.stream().anyMatch(c -> c.token() != null && !c.token().isEmpty());
  }
}
