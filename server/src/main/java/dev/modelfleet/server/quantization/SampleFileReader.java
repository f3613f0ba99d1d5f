package dev.modelfleet.server.quantization;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.TensorInfo;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * Reads validation or calibration samples from a NumPy file, streamed: an {@code .npy} for a
 * one-input model, or an {@code .npz} (a zip of {@code <input name>.npy}, as {@code numpy.savez}
 * writes it) with one array per input. Each array is either one sample (the input's own rank) or a
 * stack of them (one more axis in front: {@code [samples, ...input shape]}). The data is read
 * through one 64 KiB buffer, so checking a file holds nothing of it, and loading one holds only the
 * tensors the job runs on, bounded by {@link #MAX_TOTAL_ELEMENTS}.
 */
final class SampleFileReader {

  /** 64 Mi elements in all arrays of a file: 256 MiB as float. */
  static final long MAX_TOTAL_ELEMENTS = 1L << 26;

  static final int MAX_SAMPLES = 1024;

  private static final int CHUNK = 64 * 1024;

  /** A model input as a sample file must fill it: float or integer, and the declared shape. */
  record Input(boolean floating, long[] declared) {}

  /** What a file holds: its format, how many samples, and each input's shape per sample. */
  record Summary(String format, int samples, Map<String, List<Long>> shapes) {}

  private record Array(NpyDtype dtype, int samples, long[] sampleShape, List<Object> data) {}

  private final Map<String, Input> inputs;
  private final boolean load;
  private long budget = MAX_TOTAL_ELEMENTS;
  private final byte[] buffer = new byte[CHUNK];

  private SampleFileReader(Map<String, Input> inputs, boolean load) {
    this.inputs = inputs;
    this.load = load;
  }

  /** The inputs of a model as ONNX Runtime reports them. */
  static Map<String, Input> inputs(Map<String, NodeInfo> nodes) {
    Map<String, Input> inputs = new LinkedHashMap<>();
    for (Map.Entry<String, NodeInfo> e : nodes.entrySet()) {
      if (e.getValue().getInfo() instanceof TensorInfo t
          && (t.type == OnnxJavaType.FLOAT
              || t.type == OnnxJavaType.INT64
              || t.type == OnnxJavaType.INT32)) {
        inputs.put(e.getKey(), new Input(t.type == OnnxJavaType.FLOAT, t.getShape()));
      } else {
        throw SampleFileException.invalid(
            "input '"
                + e.getKey()
                + "' is not a float or integer tensor, which samples cannot fill");
      }
    }
    return inputs;
  }

  /** Reads the whole file without keeping its data: every check a load makes. */
  static Summary check(InputStream in, Map<String, Input> inputs) throws IOException {
    SampleFileReader reader = new SampleFileReader(inputs, false);
    Map<String, Array> arrays = reader.read(in);
    return summary(reader.format, arrays);
  }

  /** The samples as the tensors a job runs on. */
  static ValidationSet load(InputStream in, Map<String, Input> inputs) throws IOException {
    Map<String, Array> arrays = new SampleFileReader(inputs, true).read(in);
    int count = arrays.values().iterator().next().samples();
    List<Map<String, ValidationSet.Sample>> samples = new ArrayList<>();
    for (int s = 0; s < count; s++) {
      Map<String, ValidationSet.Sample> sample = new LinkedHashMap<>();
      for (String name : inputs.keySet()) {
        Array a = arrays.get(name);
        Object data = a.data().get(s);
        sample.put(
            name,
            data instanceof float[] f
                ? new ValidationSet.Sample(a.sampleShape(), f, null)
                : new ValidationSet.Sample(a.sampleShape(), null, (long[]) data));
      }
      samples.add(sample);
    }
    return new ValidationSet(samples, false);
  }

  private String format;

  private Map<String, Array> read(InputStream raw) throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 8192);
    in.mark(4);
    byte[] start = in.readNBytes(4);
    in.reset();
    Map<String, Array> arrays = new LinkedHashMap<>();
    if (start.length == 4 && (start[0] & 0xff) == 0x93 && start[1] == 'N') {
      format = "npy";
      if (inputs.size() != 1) {
        throw SampleFileException.invalid(
            "an .npy file holds one array, and the model has inputs "
                + inputs.keySet()
                + "; send an .npz with one array per input, named after it");
      }
      String name = inputs.keySet().iterator().next();
      arrays.put(name, array(in, name, "the .npy file"));
      NpyHeader.requireEnd(in, "the .npy file");
    } else if (start.length == 4 && start[0] == 'P' && start[1] == 'K' && start[2] == 3) {
      format = "npz";
      readZip(in, arrays);
    } else {
      throw SampleFileException.invalid(
          "the file is neither a NumPy .npy array nor an .npz archive of them");
    }
    int samples = -1;
    for (Map.Entry<String, Array> e : arrays.entrySet()) {
      if (samples >= 0 && e.getValue().samples() != samples) {
        throw SampleFileException.invalid(
            "the arrays hold different numbers of samples ("
                + samples
                + " and "
                + e.getValue().samples()
                + " for '"
                + e.getKey()
                + "')");
      }
      samples = e.getValue().samples();
    }
    return arrays;
  }

  private void readZip(InputStream in, Map<String, Array> arrays) throws IOException {
    try (ZipInputStream zip = new ZipInputStream(in)) {
      ZipEntry entry;
      while ((entry = zip.getNextEntry()) != null) {
        String entryName = entry.getName();
        String name =
            entryName.endsWith(".npy") ? entryName.substring(0, entryName.length() - 4) : entryName;
        if (!inputs.containsKey(name) || entry.isDirectory()) {
          throw SampleFileException.invalid(
              "the .npz holds '"
                  + entryName.replaceAll("[^\\x20-\\x7e]", "?")
                  + "'; it may hold only <input>.npy for the model's inputs "
                  + inputs.keySet());
        }
        if (arrays.containsKey(name)) {
          throw SampleFileException.invalid("the .npz holds '" + entryName + "' twice");
        }
        String what = "'" + entryName + "' in the .npz";
        arrays.put(name, array(zip, name, what));
        NpyHeader.requireEnd(zip, what);
      }
    } catch (ZipException e) {
      throw SampleFileException.invalid("the .npz is not a readable zip archive");
    }
    if (!arrays.keySet().equals(inputs.keySet())) {
      List<String> missing = new ArrayList<>(inputs.keySet());
      missing.removeAll(arrays.keySet());
      throw SampleFileException.invalid(
          "the .npz has no array for input(s) " + missing + "; name each <input>.npy");
    }
  }

  private Array array(InputStream in, String name, String what) throws IOException {
    NpyHeader header = NpyHeader.read(in, what, budget);
    budget -= header.elements();
    Input input = inputs.get(name);
    if (input.floating() ? !header.dtype().feedsFloat() : !header.dtype().feedsInteger()) {
      throw SampleFileException.invalid(
          what
              + " holds "
              + header.dtype().name().toLowerCase(java.util.Locale.ROOT)
              + ", which cannot feed the "
              + (input.floating() ? "float" : "integer")
              + " input '"
              + name
              + "'");
    }
    long[] shape = header.shape();
    long[] declared = input.declared();
    long[] sampleShape;
    long samples;
    if (shape.length == declared.length) {
      samples = 1;
      sampleShape = shape;
    } else if (shape.length == declared.length + 1) {
      samples = shape[0];
      sampleShape = Arrays.copyOfRange(shape, 1, shape.length);
    } else {
      throw mismatch(what, name, shape, declared);
    }
    for (int i = 0; i < declared.length; i++) {
      if (sampleShape[i] == 0 || (declared[i] >= 0 && declared[i] != sampleShape[i])) {
        throw mismatch(what, name, shape, declared);
      }
    }
    if (samples < 1 || samples > MAX_SAMPLES) {
      throw SampleFileException.invalid(
          what + " holds " + samples + " samples; send 1 to " + MAX_SAMPLES);
    }
    long perSample = header.elements() / samples;
    if (perSample > ValidationSet.MAX_ELEMENTS) {
      throw SampleFileException.tooLarge(
          what
              + " has samples of "
              + perSample
              + " elements for input '"
              + name
              + "', above the limit of "
              + ValidationSet.MAX_ELEMENTS);
    }
    List<Object> data = load ? new ArrayList<>() : List.of();
    ByteBuffer bytes = ByteBuffer.wrap(buffer).order(ByteOrder.LITTLE_ENDIAN);
    NpyDtype dtype = header.dtype();
    int perChunk = CHUNK / dtype.size();
    for (int s = 0; s < samples; s++) {
      float[] floats = load && input.floating() ? new float[(int) perSample] : null;
      long[] longs = load && !input.floating() ? new long[(int) perSample] : null;
      for (int done = 0; done < perSample; ) {
        int count = (int) Math.min(perSample - done, perChunk);
        int n = count * dtype.size();
        if (in.readNBytes(buffer, 0, n) < n) {
          throw SampleFileException.invalid(
              what
                  + " is truncated: its header declares "
                  + header.dataBytes()
                  + " bytes of data for shape "
                  + Arrays.toString(shape));
        }
        bytes.clear();
        if (floats != null) {
          for (int i = 0; i < count; i++) {
            floats[done + i] = dtype.readFloat(bytes);
          }
        } else if (longs != null) {
          for (int i = 0; i < count; i++) {
            longs[done + i] = dtype.readLong(bytes);
          }
        }
        done += count;
      }
      if (load) {
        data.add(floats != null ? floats : longs);
      }
    }
    return new Array(dtype, (int) samples, sampleShape, data);
  }

  private static SampleFileException mismatch(
      String what, String name, long[] shape, long[] declared) {
    return SampleFileException.invalid(
        what
            + " has shape "
            + Arrays.toString(shape)
            + "; input '"
            + name
            + "' takes "
            + Arrays.toString(declared)
            + " (-1: any size), optionally stacked as [samples, ...]");
  }

  private static Summary summary(String format, Map<String, Array> arrays) {
    Map<String, List<Long>> shapes = new LinkedHashMap<>();
    arrays.forEach((name, a) -> shapes.put(name, Arrays.stream(a.sampleShape()).boxed().toList()));
    return new Summary(format, arrays.values().iterator().next().samples(), shapes);
  }
}
