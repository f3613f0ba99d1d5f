package dev.modelfleet.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Other releases of the agent made from the build's own jar: the same classes and resources, entry
 * for entry, with only its manifest's version (and, for a release that cannot start, its main
 * class) rewritten. What an agent self-update test ships.
 */
public final class AgentReleaseJars {

  private AgentReleaseJars() {}

  /** The version a jar says it is (its manifest's Implementation-Version). */
  public static String versionOf(Path jar) {
    try (JarFile file = new JarFile(jar.toFile())) {
      return file.getManifest().getMainAttributes().getValue("Implementation-Version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A copy of {@code jar} that is agent {@code version}. */
  public static Path withVersion(Path jar, Path target, String version) {
    return rewrite(jar, target, version, null);
  }

  /** A copy that is agent {@code version} but exits at start: its main class does not exist. */
  public static Path thatCannotStart(Path jar, Path target, String version) {
    return rewrite(jar, target, version, "dev.modelfleet.agent.lifecycle.NoSuchMain");
  }

  /** A copy that is agent {@code version} and needs a server of protocol revision {@code min}. */
  public static Path needingProtocol(Path jar, Path target, String version, int min) {
    return rewrite(jar, target, version, null, Map.of("ModelFleet-Min-Protocol", "" + min));
  }

  private static Path rewrite(Path jar, Path target, String version, String mainClass) {
    return rewrite(jar, target, version, mainClass, Map.of());
  }

  private static Path rewrite(
      Path jar, Path target, String version, String mainClass, Map<String, String> attributes) {
    try (InputStream in = Files.newInputStream(jar);
        ZipInputStream zin = new ZipInputStream(in);
        OutputStream out = Files.newOutputStream(target);
        ZipOutputStream zout = new ZipOutputStream(out)) {
      for (ZipEntry entry = zin.getNextEntry(); entry != null; entry = zin.getNextEntry()) {
        zout.putNextEntry(new ZipEntry(entry.getName()));
        if (JarFile.MANIFEST_NAME.equals(entry.getName())) {
          Manifest manifest = new Manifest(zin);
          Attributes main = manifest.getMainAttributes();
          main.put(Attributes.Name.IMPLEMENTATION_VERSION, version);
          if (mainClass != null) {
            main.put(Attributes.Name.MAIN_CLASS, mainClass);
          }
          attributes.forEach(main::putValue);
          manifest.write(zout);
        } else {
          zin.transferTo(zout);
        }
        zout.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return target;
  }
}
