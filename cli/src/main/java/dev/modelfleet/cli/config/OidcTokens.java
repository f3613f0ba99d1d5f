package dev.modelfleet.cli.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a context signed in through OpenID Connect renews its access token (the context's {@code
 * token}): the provider's token endpoint, the client, and the refresh token.
 *
 * @param issuer the provider's issuer URL
 * @param clientId the client the command line signed in as
 * @param tokenEndpoint where the refresh token is exchanged
 * @param refreshToken the refresh token, or null when the provider gave none
 * @param expiresAt when the access token expires, in seconds since the epoch
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record OidcTokens(
    String issuer,
    @JsonProperty("client-id") String clientId,
    @JsonProperty("token-endpoint") String tokenEndpoint,
    @JsonProperty("refresh-token") String refreshToken,
    @JsonProperty("expires-at") long expiresAt) {

  @Override
  public String toString() {
    return "OidcTokens[" + issuer + ", " + clientId + "]"; // never the refresh token
  }
}
