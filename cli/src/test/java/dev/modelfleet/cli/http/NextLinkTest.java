package dev.modelfleet.cli.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modelfleet.cli.CliException;
import java.net.URI;
import org.junit.jupiter.api.Test;

class NextLinkTest {

  private final ApiClient api =
      new ApiClient(new Connection(URI.create("https://fleet.example.com"), "t", null, null), "t");

  @Test
  void theNextRelationIsFoundAmongOthers() {
    assertEquals(
        "/api/v1/devices?after=abc%3D&limit=2",
        api.next(
                "</api/v1/devices?x=1>; rel=\"first\", </api/v1/devices?after=abc%3D&limit=2>;"
                    + " rel=\"next\"")
            .toString());
    assertEquals(
        "/api/v1/audit?after=9",
        api.next("<https://fleet.example.com/api/v1/audit?after=9>; rel=next").toString());
  }

  @Test
  void noNextRelationMeansTheLastPage() {
    assertNull(api.next(null));
    assertNull(api.next("</api/v1/devices?x=1>; rel=\"prev\""));
  }

  @Test
  void aLinkOutsideTheApiOrToAnotherHostIsRefused() {
    assertThrows(
        CliException.class, () -> api.next("<https://evil.example/api/v1/x>; rel=\"next\""));
    assertThrows(CliException.class, () -> api.next("<//evil.example/api/v1/x>; rel=\"next\""));
    assertThrows(CliException.class, () -> api.next("</q/health>; rel=\"next\""));
    assertThrows(
        CliException.class, () -> api.next("<http://fleet.example.com/api/v1/x>; rel=\"next\""));
  }

  @Test
  void pathSegmentsAreEncodedSoAnIdCannotLeaveItsPath() {
    assertEquals("/api/v1/devices/a%2F..%2Fb", ApiPath.api("devices", "a/../b").toString());
    assertEquals(
        "/api/v1/models/%2E%2E/versions/1.0",
        ApiPath.api("models", "..", "versions", "1.0").toString());
    assertEquals(
        "/api/v1/devices?selector=site%3Dplant-a%2Cline+in+%283%2C4%29&status=active",
        ApiPath.api("devices")
            .query("selector", "site=plant-a,line in (3,4)")
            .query("status", "active")
            .query("none", null)
            .toString());
  }
}
