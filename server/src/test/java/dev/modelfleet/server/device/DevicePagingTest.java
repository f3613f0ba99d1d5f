package dev.modelfleet.server.device;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GET /api/v1/devices page by page, with its filters applied across pages. */
@QuarkusTest
class DevicePagingTest {

  AgentClient agent;
  String site;
  final List<String> edge = new ArrayList<>();
  final List<String> all = new ArrayList<>();

  @BeforeEach
  void enrollFive() throws Exception {
    agent = new AgentClient();
    site = Api.unique("site");
    for (int i = 0; i < 5; i++) {
      String tier = i % 2 == 0 ? "edge" : "core";
      String id =
          agent
              .enroll(Fixtures.enrollmentToken(Map.of("site", site, "tier", tier), 1))
              .getDeviceId();
      all.add(id);
      if (tier.equals("edge")) {
        edge.add(id);
      }
    }
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  @Test
  void pagesFollowTheNextLinkUntilTheLastGivesNone() {
    Response first =
        admin()
            .queryParam("selector", "site=" + site)
            .queryParam("limit", 2)
            .get("/api/v1/devices");
    first.then().statusCode(200).body("size()", equalTo(2));
    String next = Api.nextLink(first.header("Link"));
    assertNotNull(next, "a full page says where the next one is");
    assertTrue(next.startsWith("/api/v1/devices?"), next);
    assertTrue(next.contains("limit=2") && next.contains("after="), next);
    assertTrue(next.contains("selector=site%3D" + site) || next.contains("selector=site=" + site));

    Response second = admin().urlEncodingEnabled(false).get(next);
    second.then().statusCode(200).body("size()", equalTo(2));
    Response third = admin().urlEncodingEnabled(false).get(Api.nextLink(second.header("Link")));
    third.then().statusCode(200).body("size()", equalTo(1));
    assertNull(third.header("Link"), "the last page links nowhere");

    List<String> walked = new ArrayList<>();
    for (Response page : List.of(first, second, third)) {
      walked.addAll(page.jsonPath().getList("id"));
    }
    assertEquals(all, walked, "each device once, in the order they enrolled");
  }

  @Test
  void aPageExactlyAsLongAsWhatIsLeftLinksToAnEmptyNothing() {
    Response page =
        admin()
            .queryParam("selector", "site=" + site)
            .queryParam("limit", 5)
            .get("/api/v1/devices");
    page.then().statusCode(200).body("size()", equalTo(5));
    assertNull(page.header("Link"), "no more rows: no link");
  }

  @Test
  void filtersHoldAcrossPages() {
    // "notin" is tested on the rows read, "site=" narrows in SQL: both hold on every page
    assertEquals(
        edge, ids("/api/v1/devices?selector=" + encode("site=" + site + ",tier notin (core)"), 1));
    assertEquals(edge, ids("/api/v1/devices?selector=" + encode("site=" + site + ",tier=edge"), 1));
    assertEquals(
        List.of(), ids("/api/v1/devices?selector=" + encode("site=" + site + ",site=other"), 1));

    admin().post("/api/v1/devices/" + all.get(1) + "/decommission").then().statusCode(200);
    admin().post("/api/v1/devices/" + all.get(3) + "/decommission").then().statusCode(200);
    assertEquals(edge, ids("/api/v1/devices?status=active&selector=" + encode("site=" + site), 2));
    assertEquals(
        List.of(all.get(1), all.get(3)),
        ids("/api/v1/devices?status=decommissioned&selector=" + encode("site=" + site), 1));
  }

  @Test
  void aLimitOutOfRangeOrNotANumberIsRefused() {
    for (String limit : new String[] {"0", "-1", "1001", "many", "2.5"}) {
      admin()
          .queryParam("limit", limit)
          .get("/api/v1/devices")
          .then()
          .statusCode(400)
          .contentType(PROBLEM_JSON)
          .body("code", equalTo("invalid-request"))
          .body("detail", containsString("from 1 to 1000"));
    }
    admin().queryParam("limit", 1000).get("/api/v1/devices").then().statusCode(200);
  }

  @Test
  void aCursorThisListDidNotGiveIsRefused() {
    String notBase64 = "%%%";
    String wrongShape =
        Base64.getUrlEncoder().encodeToString("42".getBytes(StandardCharsets.UTF_8));
    String badInstant =
        Base64.getUrlEncoder()
            .encodeToString(("yesterday|" + all.get(0)).getBytes(StandardCharsets.UTF_8));
    for (String cursor : new String[] {notBase64, wrongShape, badInstant}) {
      admin()
          .queryParam("after", cursor)
          .get("/api/v1/devices")
          .then()
          .statusCode(400)
          .contentType(PROBLEM_JSON)
          .body("code", equalTo("invalid-request"))
          .body("detail", containsString("'after'"));
    }
  }

  private static List<String> ids(String path, int limit) {
    return Api.listAll(path, limit).stream().map(d -> (String) d.get("id")).toList();
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }
}
