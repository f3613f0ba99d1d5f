package dev.modelfleet.cli.config;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A saved connection: a server, the token to send it and, for a private CA, its certificates.
 *
 * @param name what {@code --context} and {@code config use-context} call it
 * @param server the server's base URL
 * @param token the bearer token (an API token, or the admin token)
 * @param ca PEM certificates to trust instead of the system's, or null
 * @param oidc for a person signed in through OpenID Connect: how to renew the token, else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Context(String name, String server, String token, String ca, OidcTokens oidc) {

  /** A context with an API token (or the admin token), which is never renewed. */
  public Context(String name, String server, String token, String ca) {
    this(name, server, token, ca, null);
  }

  @Override
  public String toString() {
    return "Context[" + name + ", " + server + "]"; // never the token
  }
}
