package dev.modelfleet.agent.config;

/** A configuration problem, with a message that tells the user what to pass or fix. */
public class ConfigException extends Exception {
  public ConfigException(String message) {
    super(message);
  }
}
