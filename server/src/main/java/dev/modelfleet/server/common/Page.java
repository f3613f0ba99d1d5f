package dev.modelfleet.server.common;

import java.util.List;
import java.util.function.Function;

/**
 * One page of a list: its items and, when more may follow, the cursor of the next page (see {@link
 * PageRequest}).
 */
public record Page<T>(List<T> items, String next) {

  public <R> Page<R> map(Function<? super T, ? extends R> mapper) {
    return new Page<>(items.stream().<R>map(mapper).toList(), next);
  }
}
