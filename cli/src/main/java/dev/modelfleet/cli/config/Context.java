package dev.modelfleet.cli.config;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A saved connection: a server, the token to send it and, for a private CA, its certificates.
 *
 * @param name what {@code --context} and {@code config use-context} call it
 * @param server the server's base URL
 * @param token the bearer token (an API token, or the admin token)
 * @param ca PEM certificates to trust instead of the system's, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Context(String name, String server, String token, String ca) {

  @Override
  public String toString() {
    return "Context[" + name + ", " + server + "]"; // never the token
  }
}
