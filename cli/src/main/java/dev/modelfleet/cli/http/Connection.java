package dev.modelfleet.cli.http;

import java.net.URI;

/**
 * Where the commands go and with what credential.
 *
 * @param server the server's base URL ({@code https://fleet.example.com})
 * @param token the bearer token
 * @param caPem PEM certificates of a private CA to trust instead of the system's, or null
 * @param context the name of the context it came from, or null (environment only)
 */
public record Connection(URI server, String token, String caPem, String context) {

  @Override
  public String toString() {
    // never the token
    return "Connection[" + server + (context == null ? "" : ", context " + context) + "]";
  }
}
