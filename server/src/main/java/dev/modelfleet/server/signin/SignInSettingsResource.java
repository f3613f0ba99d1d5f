package dev.modelfleet.server.signin;

import dev.modelfleet.server.access.OidcConfig;
import dev.modelfleet.server.access.OidcVerifier;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * What a client needs to know before it has a token: whether people sign in through OpenID Connect,
 * and with which provider and client. Public on purpose, and therefore outside /api (where every
 * resource needs a token): it says nothing a provider's own discovery document does not, and the
 * command line must read it to sign in at all.
 */
@Path("/auth/v1/config")
public class SignInSettingsResource {

  /** The provider a person signs in with. */
  public record OidcView(
      @Schema(description = "The issuer URL; its discovery document names the endpoints.")
          String issuer,
      @Schema(description = "The client id the command line signs in as (device authorization).")
          String clientId,
      @Schema(description = "The audience the server checks in access tokens.") String audience,
      @Schema(description = "The scopes to ask for, space-separated.") String scopes) {}

  /** How to sign in; {@code oidc} is null when people cannot sign in through a provider. */
  public record SignInSettings(OidcView oidc) {}

  private final OidcConfig config;
  private final OidcVerifier verifier;

  SignInSettingsResource(OidcConfig config, OidcVerifier verifier) {
    this.config = config;
    this.verifier = verifier;
  }

  @GET
  @Produces(MediaType.APPLICATION_JSON)
  @Operation(
      summary = "How to sign in",
      description =
          "Unauthenticated. The OpenID Connect provider and client the command line uses for"
              + " `modelfleet login --oidc`, or `oidc: null` when the server accepts API tokens"
              + " only.")
  @APIResponse(
      responseCode = "200",
      description = "The sign-in settings",
      content =
          @Content(
              mediaType = MediaType.APPLICATION_JSON,
              schema = @Schema(implementation = SignInSettings.class)))
  public SignInSettings get() {
    if (!verifier.enabled()) {
      return new SignInSettings(null);
    }
    return new SignInSettings(
        new OidcView(
            config.issuer().get(),
            verifier.cliClientId(),
            config.audience().get(),
            config.scopes()));
  }
}
