package dev.modelfleet.server.console;

import dev.modelfleet.server.hardware.HardwareClass;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Readable names for hardware classes, whose ids are fingerprint hashes: "x86_64 Intel Xeon ·
 * CUDA", with the id and the full description for a tooltip. The classes are few (one per kind of
 * hardware, not per device), so a page reads them all once ({@link #read}) and names them from the
 * {@link Names} it got.
 */
@ApplicationScoped
public class HardwareNames {

  private static final String UNPROFILED = "unprofiled";

  /** Every hardware class as it stands now. */
  @Transactional
  public Names read() {
    Map<String, HardwareClass> classes = new HashMap<>();
    for (HardwareClass c : HardwareClass.<HardwareClass>listAll()) {
      classes.put(c.id, c);
    }
    return new Names(classes);
  }

  /** The names a page writes, from what {@link #read} found. */
  public static final class Names {

    private final Map<String, HardwareClass> classes;
    private final Map<String, String> names = new HashMap<>();

    Names(Map<String, HardwareClass> classes) {
      this.classes = classes;
      Map<String, Integer> uses = new HashMap<>();
      classes.values().forEach(c -> uses.merge(shortName(c.profile), 1, Integer::sum));
      // classes that differ only in what the short name leaves out (cores, ONNX Runtime version)
      // keep apart by the start of their id
      classes
          .values()
          .forEach(
              c -> {
                String name = shortName(c.profile);
                names.put(c.id, uses.get(name) > 1 ? name + " #" + c.id.substring(0, 4) : name);
              });
    }

    /**
     * A short name: architecture and CPU, then accelerators or the providers beyond the CPU's;
     * where two classes would share one, the first characters of the id follow it.
     */
    public String name(String id) {
      HardwareClass c = find(id);
      if (c == null) {
        return id == null || UNPROFILED.equals(id) ? UNPROFILED : id;
      }
      return names.get(c.id);
    }

    /** For a title attribute: the id and every part the class was fingerprinted from. */
    public String title(String id) {
      HardwareClass c = find(id);
      if (c == null) {
        return id == null || UNPROFILED.equals(id) ? "no hardware profile reported yet" : id;
      }
      return c.id + ": " + c.description;
    }

    static String shortName(Map<String, Object> profile) {
      if (profile == null) {
        return "unknown hardware";
      }
      List<String> words = new ArrayList<>();
      String cpu =
          (String.valueOf(profile.getOrDefault("arch", ""))
                  + " "
                  + String.valueOf(profile.getOrDefault("cpuModel", "")))
              .strip();
      words.add(cpu.isEmpty() ? "unknown CPU" : cpu);
      List<String> accelerators = strings(profile.get("accelerators"));
      if (!accelerators.isEmpty()) {
        words.add(String.join(", ", accelerators));
      } else {
        List<String> providers = new ArrayList<>(strings(profile.get("executionProviders")));
        providers.removeIf(p -> p.equalsIgnoreCase("cpu"));
        if (!providers.isEmpty()) {
          words.add(String.join(", ", providers));
        }
      }
      String name = String.join(" · ", words);
      return Boolean.TRUE.equals(profile.get("simulated")) ? name + " (simulated)" : name;
    }

    private static List<String> strings(Object value) {
      List<String> out = new ArrayList<>();
      if (value instanceof List<?> list) {
        for (Object o : list) {
          if (o != null && !String.valueOf(o).isBlank()) {
            out.add(String.valueOf(o));
          }
        }
      }
      return out;
    }

    private HardwareClass find(String id) {
      return id == null ? null : classes.get(id);
    }
  }
}
