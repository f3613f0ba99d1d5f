package dev.modelfleet.server.common;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Which page of a list a request asks for: at most {@link #limit()} items after the row whose sort
 * key the cursor holds. Lists page by keyset ({@code WHERE key > cursor ORDER BY key}, the key
 * unique), so rows added or removed between two requests never shift the rows after the cursor:
 * every row present throughout a walk is given exactly once.
 *
 * <p>The cursor is opaque to clients: the base64url of the last given row's sort key, its parts
 * joined by {@code |}.
 */
public final class PageRequest {

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 1000;

  /**
   * Rows fetched per query when a filter applies in Java: a selective filter walks the list in
   * chunks this large rather than one small query per kept row.
   */
  static final int SCAN_CHUNK = 1000;

  private static final String SEPARATOR = "|";

  private final int limit;
  private final List<String> after;

  private PageRequest(int limit, List<String> after) {
    this.limit = limit;
    this.after = after;
  }

  /** The first {@code limit} items. */
  public static PageRequest first(int limit) {
    return new PageRequest(limit, null);
  }

  /**
   * The page the query parameters ask for; {@code limit} defaults to {@value #DEFAULT_LIMIT}.
   *
   * @throws ApiException {@code invalid-request} for a limit out of range or a malformed cursor
   */
  public static PageRequest of(String limit, String after) {
    return new PageRequest(limit(limit), cursor(after));
  }

  public int limit() {
    return limit;
  }

  /**
   * The cursor's key, each part parsed as the given type ({@link Instant}, {@link UUID}, {@link
   * Long}, {@link Integer} or {@link String}); null for the first page.
   *
   * @throws ApiException {@code invalid-request} when the cursor is not a key of this shape
   */
  public List<Object> after(Class<?>... types) {
    if (after == null) {
      return null;
    }
    if (after.size() != types.length) {
      throw badCursor();
    }
    List<Object> key = new ArrayList<>(types.length);
    for (int i = 0; i < types.length; i++) {
      key.add(parse(after.get(i), types[i]));
    }
    return key;
  }

  /**
   * Fills the page from rows in key order: {@code fetch} gets the key to start after (null: from
   * the start; typed as {@code types}) and how many rows to read, and gives them in key order. Rows
   * {@code keep} refuses are skipped; without a filter one query of {@code limit + 1} rows answers,
   * with one the walk goes on in chunks until the page is full or the rows run out.
   */
  public <T> Page<T> fill(
      Class<?>[] types, Fetch<T> fetch, Function<T, List<?>> key, Predicate<T> keep) {
    int chunk = keep == null ? limit + 1 : Math.max(limit + 1, SCAN_CHUNK);
    List<?> from = after(types);
    List<T> kept = new ArrayList<>();
    while (kept.size() <= limit) {
      List<T> rows = fetch.rows(from, chunk);
      for (T row : rows) {
        if (keep == null || keep.test(row)) {
          kept.add(row);
        }
      }
      if (rows.size() < chunk) {
        break;
      }
      from = key.apply(rows.get(rows.size() - 1));
    }
    return page(kept, key);
  }

  /** The page of {@code rows}, read in key order with one more than the limit if there are more. */
  public <T> Page<T> page(List<T> rows, Function<T, List<?>> key) {
    if (rows.size() <= limit) {
      return new Page<>(List.copyOf(rows), null);
    }
    List<T> items = List.copyOf(rows.subList(0, limit));
    return new Page<>(items, encode(key.apply(items.get(limit - 1))));
  }

  /** Reads rows of a list in key order after a key. */
  @FunctionalInterface
  public interface Fetch<T> {
    /**
     * @param after the key to read after, null for the start
     * @param count how many rows at most
     */
    List<T> rows(List<?> after, int count);
  }

  static String encode(List<?> key) {
    String text =
        key.stream()
            .map(
                part ->
                    // the database keeps microseconds; a finer instant would skip its own row
                    part instanceof Instant i
                        ? i.truncatedTo(ChronoUnit.MICROS).toString()
                        : String.valueOf(part))
            .collect(Collectors.joining(SEPARATOR));
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static int limit(String text) {
    if (text == null || text.isBlank()) {
      return DEFAULT_LIMIT;
    }
    try {
      int value = Integer.parseInt(text.strip());
      if (value >= 1 && value <= MAX_LIMIT) {
        return value;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiError.INVALID_REQUEST.exception(
        "'limit' must be a whole number from 1 to "
            + MAX_LIMIT
            + " (default "
            + DEFAULT_LIMIT
            + "); follow the Link rel=\"next\" header for more.");
  }

  private static List<String> cursor(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    try {
      String decoded =
          new String(Base64.getUrlDecoder().decode(text.strip()), StandardCharsets.UTF_8);
      return Arrays.asList(decoded.split("\\" + SEPARATOR, -1));
    } catch (IllegalArgumentException e) {
      throw badCursor();
    }
  }

  private static Object parse(String part, Class<?> type) {
    try {
      if (type == Instant.class) {
        return Instant.parse(part);
      }
      if (type == UUID.class) {
        return UUID.fromString(part);
      }
      if (type == Long.class) {
        return Long.parseLong(part);
      }
      if (type == Integer.class) {
        return Integer.parseInt(part);
      }
      if (type == String.class) {
        return part;
      }
    } catch (DateTimeParseException | IllegalArgumentException e) {
      throw badCursor();
    }
    throw new IllegalArgumentException("no cursor part of type " + type);
  }

  private static ApiException badCursor() {
    return ApiError.INVALID_REQUEST.exception(
        "'after' is not a cursor this list gave; use the Link rel=\"next\" header of the previous"
            + " page as it is, or leave 'after' out to start from the first page.");
  }
}
