package dev.modelfleet.agent.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * A few metric families written in the Prometheus text format (version 0.0.4), with the JDK only:
 * the agent needs counters, histograms and gauges, not a metrics library. Families are registered
 * once; series (label values) appear when first used or touched.
 */
public final class Metrics {

  /** The Content-Type of {@link #scrape()}. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final List<Family> families = new CopyOnWriteArrayList<>();

  public Counter counter(String name, String help, String... labelNames) {
    return add(new Counter(name, help, labelNames));
  }

  /** {@code bounds}: the upper bounds of the buckets, ascending; {@code +Inf} is added. */
  public Histogram histogram(String name, String help, double[] bounds, String... labelNames) {
    return add(new Histogram(name, help, bounds, labelNames));
  }

  public void gauge(String name, String help, DoubleSupplier value) {
    add(new Gauge(name, help, new String[0], () -> Map.of(List.of(), value.getAsDouble())));
  }

  /** A gauge whose series are read at each scrape: label values to value. */
  public void gauge(
      String name, String help, Supplier<Map<List<String>, Double>> series, String... labelNames) {
    add(new Gauge(name, help, labelNames, series));
  }

  private <F extends Family> F add(F family) {
    families.add(family);
    return family;
  }

  /** Every family now, in the order registered. */
  public String scrape() {
    StringBuilder out = new StringBuilder(4096);
    for (Family family : families) {
      family.write(out);
    }
    return out.toString();
  }

  private abstract static class Family {
    final String name;
    final String help;
    final String[] labelNames;

    Family(String name, String help, String[] labelNames) {
      this.name = name;
      this.help = help;
      this.labelNames = labelNames.clone();
    }

    abstract String type();

    abstract void writeSamples(StringBuilder out);

    final void write(StringBuilder out) {
      out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
      out.append("# TYPE ").append(name).append(' ').append(type()).append('\n');
      writeSamples(out);
    }

    final List<String> key(String... values) {
      if (values.length != labelNames.length) {
        throw new IllegalArgumentException(
            name + " takes " + labelNames.length + " label values, got " + values.length);
      }
      List<String> key = new ArrayList<>(values.length);
      for (String value : values) {
        key.add(value == null ? "" : value);
      }
      return List.copyOf(key);
    }

    final void sample(
        StringBuilder out, String suffix, List<String> values, String extra, double value) {
      out.append(name).append(suffix);
      if (!values.isEmpty() || extra != null) {
        out.append('{');
        for (int i = 0; i < values.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          out.append(labelNames[i]).append("=\"").append(escapeLabel(values.get(i))).append('"');
        }
        if (extra != null) {
          out.append(values.isEmpty() ? "" : ",").append(extra);
        }
        out.append('}');
      }
      out.append(' ').append(format(value)).append('\n');
    }
  }

  /** A value that only grows; its name ends in {@code _total}. */
  public static final class Counter extends Family {
    private final Map<List<String>, DoubleAdder> series = new ConcurrentHashMap<>();

    Counter(String name, String help, String[] labelNames) {
      super(name, help, labelNames);
      if (labelNames.length == 0) {
        touch();
      }
    }

    /** Makes the series exist (at 0) before the first event, so rates work from the start. */
    public Counter touch(String... labelValues) {
      series.computeIfAbsent(key(labelValues), k -> new DoubleAdder());
      return this;
    }

    public void inc(String... labelValues) {
      add(1, labelValues);
    }

    public void add(double amount, String... labelValues) {
      series.computeIfAbsent(key(labelValues), k -> new DoubleAdder()).add(amount);
    }

    @Override
    String type() {
      return "counter";
    }

    @Override
    void writeSamples(StringBuilder out) {
      series.forEach((values, value) -> sample(out, "", values, null, value.sum()));
    }
  }

  /** Observations counted into cumulative buckets, with their count and sum. */
  public static final class Histogram extends Family {
    private final double[] bounds;
    private final Map<List<String>, Buckets> series = new ConcurrentHashMap<>();

    Histogram(String name, String help, double[] bounds, String[] labelNames) {
      super(name, help, labelNames);
      this.bounds = bounds.clone();
    }

    public void observe(double value, String... labelValues) {
      series.computeIfAbsent(key(labelValues), k -> new Buckets(bounds.length)).observe(value);
    }

    @Override
    String type() {
      return "histogram";
    }

    @Override
    void writeSamples(StringBuilder out) {
      series.forEach(
          (values, buckets) -> {
            long cumulative = 0;
            for (int i = 0; i < bounds.length; i++) {
              cumulative += buckets.counts[i].sum();
              sample(out, "_bucket", values, "le=\"" + format(bounds[i]) + "\"", cumulative);
            }
            long count = buckets.count.sum();
            sample(out, "_bucket", values, "le=\"+Inf\"", count);
            sample(out, "_count", values, null, count);
            sample(out, "_sum", values, null, buckets.sum.sum());
          });
    }

    private final class Buckets {
      final LongAdder[] counts;
      final LongAdder count = new LongAdder();
      final DoubleAdder sum = new DoubleAdder();

      Buckets(int n) {
        counts = new LongAdder[n];
        for (int i = 0; i < n; i++) {
          counts[i] = new LongAdder();
        }
      }

      void observe(double value) {
        for (int i = 0; i < bounds.length; i++) {
          if (value <= bounds[i]) {
            counts[i].increment();
            break;
          }
        }
        count.increment();
        sum.add(value);
      }
    }
  }

  private static final class Gauge extends Family {
    private final Supplier<Map<List<String>, Double>> series;

    Gauge(String name, String help, String[] labelNames, Supplier<Map<List<String>, Double>> s) {
      super(name, help, labelNames);
      this.series = s;
    }

    @Override
    String type() {
      return "gauge";
    }

    @Override
    void writeSamples(StringBuilder out) {
      series.get().forEach((values, value) -> sample(out, "", values, null, value));
    }
  }

  static String format(double value) {
    if (Double.isNaN(value)) {
      return "NaN";
    }
    if (Double.isInfinite(value)) {
      return value > 0 ? "+Inf" : "-Inf";
    }
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return Long.toString((long) value);
    }
    return Double.toString(value);
  }

  private static String escapeLabel(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  private static String escapeHelp(String help) {
    return help.replace("\\", "\\\\").replace("\n", "\\n");
  }
}
