package dev.modelfleet.e2e.bench;

/** Where a benchmark section writes the rows of the report's table. */
@FunctionalInterface
interface ReportRows {
  void row(String what, String measured, String target);
}
