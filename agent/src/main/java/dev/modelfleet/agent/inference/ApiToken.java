package dev.modelfleet.agent.inference;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The optional bearer token of the local inference API ({@code api-token}), for an API that listens
 * beyond loopback (containers beside the agent on the same device). Without one the API asks for
 * nothing, as on loopback it never did.
 */
public final class ApiToken {

  public static final ApiToken NONE = new ApiToken(null);

  private final byte[] expected;

  private ApiToken(String token) {
    this.expected = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
  }

  public static ApiToken of(String token) {
    return token == null || token.isEmpty() ? NONE : new ApiToken(token);
  }

  public boolean required() {
    return expected != null;
  }

  /**
   * Null when {@code authorization} (the header's value, may be null) is accepted; else why not.
   */
  public String refusal(String authorization) {
    if (expected == null) {
      return null;
    }
    if (authorization == null) {
      return "this inference API needs Authorization: Bearer <api-token> (set in the agent's"
          + " configuration)";
    }
    // Constant time: the answer must not tell how much of a guess was right.
    if (!MessageDigest.isEqual(expected, authorization.trim().getBytes(StandardCharsets.UTF_8))) {
      return "the bearer token is not this agent's api-token";
    }
    return null;
  }
}
