package dev.modelfleet.agent.runtime;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The validation set an operator supplies with a version, as the server stores it: an {@code .npy}
 * for a one-input model, or an {@code .npz} with one {@code <input>.npy} per input; each array one
 * sample (the input's rank) or a stack of them ({@code [samples, ...]}). Read once, after the
 * artifact's sha256 was checked, into the tensors a quiet device replays on serving model and
 * candidate. Little-endian float (f4, f8) and integer (i4, i8) arrays in C order only: what numpy
 * writes by default, and what the server's reader accepted at upload.
 */
public final class ValidationInputs {

  /** The whole set is held in memory while the shadow runs; a validation set is small. */
  public static final long MAX_BYTES = 64L << 20;

  static final int MAX_SAMPLES = 1024;

  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<|=]?)([fi])(\\d)'");
  private static final Pattern ORDER = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private ValidationInputs() {}

  /**
   * The samples of {@code file}, each a list of tensors in the order of {@code inputs}.
   *
   * @throws IllegalArgumentException naming what does not fit, when the file is no such set
   */
  public static List<List<Tensor>> read(Path file, List<TensorSpec> inputs) throws IOException {
    if (Files.size(file) > MAX_BYTES) {
      throw new IllegalArgumentException(
          "the validation set is " + Files.size(file) + " bytes, above " + MAX_BYTES);
    }
    byte[] bytes = Files.readAllBytes(file);
    Map<String, Array> arrays = new LinkedHashMap<>();
    if (bytes.length >= 6 && (bytes[0] & 0xff) == 0x93 && bytes[1] == 'N') {
      if (inputs.size() != 1) {
        throw new IllegalArgumentException(
            "an .npy holds one array and the model has " + inputs.size() + " inputs");
      }
      arrays.put(inputs.get(0).name(), array(new ByteArrayInputStream(bytes), "the .npy"));
    } else if (bytes.length >= 4 && bytes[0] == 'P' && bytes[1] == 'K') {
      try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(bytes))) {
        ZipEntry entry;
        while ((entry = zip.getNextEntry()) != null) {
          String name = entry.getName().replaceFirst("\\.npy$", "");
          arrays.put(name, array(zip, "'" + entry.getName() + "'"));
        }
      }
    } else {
      throw new IllegalArgumentException("the validation set is neither an .npy nor an .npz");
    }
    int samples = -1;
    List<long[]> shapes = new ArrayList<>();
    for (TensorSpec input : inputs) {
      Array a = arrays.get(input.name());
      if (a == null) {
        throw new IllegalArgumentException(
            "the validation set has no array for input '" + input.name() + "'");
      }
      long[] shape = sampleShape(a, input);
      int count = a.shape().length == input.shape().length ? 1 : (int) a.shape()[0];
      if (samples >= 0 && count != samples) {
        throw new IllegalArgumentException(
            "the validation set's arrays hold different numbers of samples");
      }
      samples = count;
      shapes.add(shape);
    }
    if (samples < 1 || samples > MAX_SAMPLES) {
      throw new IllegalArgumentException(
          "the validation set holds " + samples + " samples; 1 to " + MAX_SAMPLES + " fit");
    }
    List<List<Tensor>> set = new ArrayList<>();
    for (int s = 0; s < samples; s++) {
      List<Tensor> sample = new ArrayList<>();
      for (int i = 0; i < inputs.size(); i++) {
        TensorSpec input = inputs.get(i);
        sample.add(tensor(input, shapes.get(i), arrays.get(input.name()), s));
      }
      set.add(sample);
    }
    return set;
  }

  private static long[] sampleShape(Array a, TensorSpec input) {
    long[] declared = input.shape();
    long[] shape;
    if (a.shape().length == declared.length) {
      shape = a.shape();
    } else if (a.shape().length == declared.length + 1) {
      shape = Arrays.copyOfRange(a.shape(), 1, a.shape().length);
    } else {
      throw misfit(a, input);
    }
    for (int i = 0; i < declared.length; i++) {
      if (declared[i] >= 0 && declared[i] != shape[i]) {
        throw misfit(a, input);
      }
    }
    return shape;
  }

  private static IllegalArgumentException misfit(Array a, TensorSpec input) {
    return new IllegalArgumentException(
        "the validation array "
            + Arrays.toString(a.shape())
            + " does not fit input '"
            + input.name()
            + "' "
            + Arrays.toString(input.shape()));
  }

  /** Sample {@code s} of {@code a}, converted to the input's own datatype. */
  private static Tensor tensor(TensorSpec input, long[] shape, Array a, int s) {
    int n = (int) Tensor.elementCount(shape);
    ByteBuffer data =
        ByteBuffer.wrap(a.data(), s * n * a.width(), n * a.width()).order(ByteOrder.LITTLE_ENDIAN);
    Object values =
        switch (input.datatype()) {
          case "FP32" -> {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
              v[i] = (float) a.read(data);
            }
            yield v;
          }
          case "FP64" -> {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
              v[i] = a.read(data);
            }
            yield v;
          }
          case "INT64" -> {
            long[] v = new long[n];
            for (int i = 0; i < n; i++) {
              v[i] = a.readLong(data);
            }
            yield v;
          }
          case "INT32" -> {
            int[] v = new int[n];
            for (int i = 0; i < n; i++) {
              v[i] = (int) a.readLong(data);
            }
            yield v;
          }
          default ->
              throw new IllegalArgumentException(
                  "input '"
                      + input.name()
                      + "' is "
                      + input.datatype()
                      + ", which a validation set cannot fill");
        };
    if (a.floating() != (values instanceof float[] || values instanceof double[])) {
      throw new IllegalArgumentException(
          "the validation array for input '"
              + input.name()
              + "' is "
              + (a.floating() ? "float" : "integer")
              + " and the input "
              + input.datatype());
    }
    return new Tensor(input.name(), input.datatype(), shape, values);
  }

  private static Array array(InputStream in, String what) throws IOException {
    byte[] magic = in.readNBytes(8);
    if (magic.length < 8 || (magic[0] & 0xff) != 0x93 || magic[1] != 'N') {
      throw new IllegalArgumentException(what + " is not a NumPy array");
    }
    int headerLength;
    if (magic[6] == 1) {
      byte[] len = in.readNBytes(2);
      headerLength = (len[0] & 0xff) | (len[1] & 0xff) << 8;
    } else {
      byte[] len = in.readNBytes(4);
      headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }
    if (headerLength < 0 || headerLength > 64 * 1024) {
      throw new IllegalArgumentException(what + " has a header of " + headerLength + " bytes");
    }
    String header = new String(in.readNBytes(headerLength), StandardCharsets.ISO_8859_1);
    Matcher descr = DESCR.matcher(header);
    Matcher order = ORDER.matcher(header);
    Matcher shapeText = SHAPE.matcher(header);
    if (!descr.find() || !order.find() || !shapeText.find()) {
      throw new IllegalArgumentException(what + " has a header this reader does not know");
    }
    boolean floating = descr.group(2).equals("f");
    int width = Integer.parseInt(descr.group(3));
    if (order.group(1).equals("True")
        || !(width == 4 || width == 8)
        || descr.group(1).equals(">")) {
      throw new IllegalArgumentException(
          what + " is not a little-endian C-order f4, f8, i4 or i8 array");
    }
    long[] shape =
        Arrays.stream(shapeText.group(1).split(","))
            .map(String::strip)
            .filter(d -> !d.isEmpty())
            .mapToLong(Long::parseLong)
            .toArray();
    long elements = Tensor.elementCount(shape);
    if (elements < 0 || elements * width > MAX_BYTES) {
      throw new IllegalArgumentException(what + " has shape " + Arrays.toString(shape));
    }
    byte[] data = in.readNBytes((int) (elements * width));
    if (data.length < elements * width) {
      throw new IllegalArgumentException(what + " is truncated");
    }
    return new Array(floating, width, shape, data);
  }

  private record Array(boolean floating, int width, long[] shape, byte[] data) {
    double read(ByteBuffer b) {
      if (floating) {
        return width == 4 ? b.getFloat() : b.getDouble();
      }
      return width == 4 ? b.getInt() : b.getLong();
    }

    long readLong(ByteBuffer b) {
      return floating ? (long) read(b) : width == 4 ? b.getInt() : b.getLong();
    }
  }
}
