package dev.modelfleet.e2e.bench;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.google.protobuf.ByteString;
import dev.modelfleet.agent.inference.ApiToken;
import dev.modelfleet.agent.inference.InferenceServer;
import dev.modelfleet.agent.inference.LocalInference;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.ort.OrtModelLoader;
import dev.modelfleet.agent.transport.oip.OipServer;
import dev.modelfleet.inference.v2.GRPCInferenceServiceGrpc;
import dev.modelfleet.inference.v2.ModelInferRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Inference overhead of the agent's three local protocols over {@code OrtSession.run}, for one
 * model: JSON REST, REST with the binary tensor extension, and Open Inference Protocol gRPC with
 * raw contents. Rounds interleave the four ways (the order rotates each round), so a machine that
 * gets busier part way through slows all of them alike; each round's p50 overhead is its p50 minus
 * the same round's OrtSession.run p50, and the report gives the median round with the spread of all
 * rounds.
 *
 * <p>The agent's REST and gRPC servers run in this JVM over the agent's own classes and ONNX
 * Runtime session ({@code main}), so no control plane or database is needed; the clients speak over
 * real loopback sockets.
 */
final class ProtocolBench {

  enum Way {
    ORT,
    JSON,
    BINARY,
    GRPC
  }

  /** One model's inputs: name → (shape, values); FP32 arrays or INT64 arrays. */
  record Inputs(Map<String, long[]> shapes, Map<String, Object> values) {}

  private ProtocolBench() {}

  public static void main(String[] args) throws Exception {
    Path models = Path.of(args.length > 0 ? args[0] : "../shared/models");
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    System.out.println(
        "Machine: "
            + Runtime.getRuntime().availableProcessors()
            + " cores, "
            + System.getProperty("os.arch")
            + ", load "
            + Files.readString(Path.of("/proc/loadavg")).trim()
            + "; "
            + java.time.ZonedDateTime.now());
    System.out.println(
        "| model | way | p50 (median round) | p50 overhead over OrtSession.run: median [min..max] of "
            + rounds
            + " rounds |");
    System.out.println("| --- | --- | --- | --- |");
    Path vad = models.resolve("silero_vad_v5.onnx");
    Path cls = models.resolve("ch_ppocr_mobile_v2.0_cls_infer.onnx");
    String only = args.length > 2 ? args[2] : "";
    if (Files.isRegularFile(vad) && !only.equals("cls")) {
      run("silero-vad", vad, vadInputs(), rounds, 400, System.out::println);
    }
    if (Files.isRegularFile(cls) && !only.equals("vad")) {
      run("ppocr-cls", cls, clsInputs(cls), rounds, 60, System.out::println);
    }
  }

  static Inputs vadInputs() {
    float[] audio = new float[512];
    for (int i = 0; i < audio.length; i++) {
      audio[i] = (float) (Math.sin(i / 8.0) * 0.3);
    }
    Map<String, long[]> shapes = new LinkedHashMap<>();
    Map<String, Object> values = new LinkedHashMap<>();
    shapes.put("input", new long[] {1, 512});
    values.put("input", audio);
    shapes.put("state", new long[] {2, 1, 128});
    values.put("state", new float[256]);
    shapes.put("sr", new long[] {});
    values.put("sr", new long[] {16000});
    return new Inputs(shapes, values);
  }

  static Inputs clsInputs(Path model) throws Exception {
    String name;
    try (OrtSession session = OrtEnvironment.getEnvironment().createSession(model.toString())) {
      NodeInfo input = session.getInputInfo().values().iterator().next();
      name = input.getName();
      if (!(input.getInfo() instanceof TensorInfo)) {
        throw new IllegalStateException("not a tensor input");
      }
    }
    float[] image = new float[3 * 48 * 192];
    Random random = new Random(1);
    for (int i = 0; i < image.length; i++) {
      image[i] = random.nextFloat() * 2 - 1;
    }
    return new Inputs(Map.of(name, new long[] {1, 3, 48, 192}), Map.of(name, image));
  }

  /** Against the agent's servers started in this JVM over {@code file}. */
  static void run(
      String modelName, Path file, Inputs inputs, int rounds, int calls, Consumer<String> rows)
      throws Exception {
    ModelRegistry registry = new ModelRegistry();
    registry.swap(
        new ServedModel(
            modelName, "1", modelName + "-1", "bench", new OrtModelLoader(0).load(file)));
    LocalInference inference = new LocalInference(registry, () -> true, name -> false);
    InetAddress loopback = InetAddress.getLoopbackAddress();
    try (InferenceServer http =
            new InferenceServer(inference, loopback, ApiToken.NONE, 0, 4, "bench").start();
        OipServer grpc = new OipServer(inference, loopback, 0, 4, ApiToken.NONE, "bench").start()) {
      measure(modelName, file, inputs, http.port(), grpc.port(), rounds, calls, rows);
    } finally {
      registry.closeAll();
    }
  }

  /**
   * Against an agent serving {@code modelName} (the model in {@code file}) on 127.0.0.1: its REST
   * port and its gRPC port; the OrtSession.run baseline runs in this JVM.
   */
  static void measure(
      String modelName,
      Path file,
      Inputs inputs,
      int httpPort,
      int grpcPort,
      int rounds,
      int calls,
      Consumer<String> rows)
      throws Exception {
    measure(
        modelName, file, inputs, List.of(new Target("", httpPort, grpcPort)), rounds, calls, rows);
  }

  /** One agent to call: its name in the report (empty for one agent alone) and its ports. */
  record Target(String name, int httpPort, int grpcPort) {}

  /** A way of calling one target; the baseline has no target. */
  private record Lane(Way way, Target target) {
    String label() {
      return ProtocolBench.label(way)
          + (target == null || target.name().isEmpty() ? "" : ", " + target.name());
    }
  }

  /**
   * Like the one-agent form, against several agents serving the same model (a baseline build and
   * this one, say): each round runs OrtSession.run and the three ways of every agent, the order
   * rotating every round, so that all of them see the same machine.
   */
  static void measure(
      String modelName,
      Path file,
      Inputs inputs,
      List<Target> targets,
      int rounds,
      int calls,
      Consumer<String> rows)
      throws Exception {
    try (OrtSession session =
        OrtEnvironment.getEnvironment()
            .createSession(file.toString(), new OrtSession.SessionOptions())) {
      Map<Target, ManagedChannel> channels = new LinkedHashMap<>();
      for (Target target : targets) {
        channels.put(
            target,
            NettyChannelBuilder.forAddress("127.0.0.1", target.grpcPort()).usePlaintext().build());
      }
      try {
        byte[] jsonBody = json(inputs);
        byte[][] binary = binary(inputs);
        Call direct = direct(session, inputs);
        Map<Target, Call> grpcCalls = new LinkedHashMap<>();
        List<Lane> order = new ArrayList<>();
        order.add(new Lane(Way.ORT, null));
        for (Target target : targets) {
          grpcCalls.put(target, grpc(channels.get(target), modelName, inputs));
          for (Way way : List.of(Way.JSON, Way.BINARY, Way.GRPC)) {
            order.add(new Lane(way, target));
          }
        }
        List<Lane> lanes = List.copyOf(order);
        Map<Lane, List<Double>> p50s = new LinkedHashMap<>();
        for (int round = -1; round < rounds; round++) { // round -1 warms everything up
          for (Lane lane : order) {
            Way way = lane.way();
            Samples samples = new Samples(calls);
            // A fresh keep-alive connection per round: the JDK server drops one idle for a while.
            Socket socket =
                way == Way.JSON || way == Way.BINARY
                    ? new Socket("127.0.0.1", lane.target().httpPort())
                    : null;
            Call call =
                switch (way) {
                  case ORT -> direct;
                  case JSON -> http(socket, modelName, jsonBody, null);
                  case BINARY -> http(socket, modelName, binary[1], binary[0]);
                  case GRPC -> grpcCalls.get(lane.target());
                };
            call.run(); // the connection's first request is not a sample
            for (int i = 0; i < calls; i++) {
              long start = System.nanoTime();
              call.run();
              samples.add(System.nanoTime() - start);
            }
            if (socket != null) {
              socket.close();
            }
            if (round >= 0) {
              p50s.computeIfAbsent(lane, l -> new ArrayList<>()).add(samples.medianMillis());
            }
          }
          order.add(order.remove(0));
        }
        List<Double> baseline = p50s.get(lanes.get(0));
        for (Lane lane : lanes) {
          List<Double> overheads = new ArrayList<>();
          for (int r = 0; r < rounds; r++) {
            overheads.add(p50s.get(lane).get(r) - baseline.get(r));
          }
          rows.accept(
              String.format(
                  "| %s | %s | %.3f ms | %s |",
                  modelName,
                  lane.label(),
                  median(p50s.get(lane)),
                  lane.way() == Way.ORT
                      ? "(baseline)"
                      : String.format(
                          "%.3f ms [%.3f..%.3f]",
                          median(overheads),
                          overheads.stream().mapToDouble(d -> d).min().orElseThrow(),
                          overheads.stream().mapToDouble(d -> d).max().orElseThrow())));
        }
      } finally {
        for (ManagedChannel channel : channels.values()) {
          channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  private static String label(Way way) {
    return switch (way) {
      case ORT -> "OrtSession.run, same JVM";
      case JSON -> "REST JSON, keep-alive HTTP/1.1";
      case BINARY -> "REST binary tensors (Inference-Header-Content-Length)";
      case GRPC -> "OIP gRPC, raw_input_contents";
    };
  }

  static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(d -> d).sorted().toArray();
    return sorted.length % 2 == 1
        ? sorted[sorted.length / 2]
        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  }

  @FunctionalInterface
  interface Call {
    void run() throws Exception;
  }

  /** What a program linking ONNX Runtime itself does per call: tensors in, run, values out. */
  private static Call direct(OrtSession session, Inputs inputs) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    return () -> {
      Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
      try {
        for (var e : inputs.values().entrySet()) {
          long[] shape = inputs.shapes().get(e.getKey());
          feeds.put(
              e.getKey(),
              e.getValue() instanceof float[] f
                  ? OnnxTensor.createTensor(env, FloatBuffer.wrap(f), shape)
                  : OnnxTensor.createTensor(env, LongBuffer.wrap((long[]) e.getValue()), shape));
        }
        try (OrtSession.Result result = session.run(feeds)) {
          result.get(0).getValue();
        }
      } finally {
        feeds.values().forEach(OnnxTensor::close);
      }
    };
  }

  private static Call http(Socket socket, String model, byte[] body, byte[] jsonHeader)
      throws IOException {
    socket.setTcpNoDelay(true);
    String extra =
        jsonHeader == null
            ? "Content-Type: application/json\r\n"
            : "Content-Type: application/octet-stream\r\nInference-Header-Content-Length: "
                + jsonHeader.length
                + "\r\n";
    byte[] head =
        ("POST /v2/models/"
                + model
                + "/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + extra
                + "Content-Length: "
                + body.length
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    OutputStream out = socket.getOutputStream();
    InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
    return () -> {
      out.write(head);
      out.write(body);
      out.flush();
      int status = readResponse(in);
      if (status != 200) {
        throw new IllegalStateException("infer answered " + status);
      }
    };
  }

  private static Call grpc(ManagedChannel channel, String model, Inputs inputs) {
    var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    return () -> {
      ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(model);
      for (var e : inputs.values().entrySet()) {
        ModelInferRequest.InferInputTensor.Builder t =
            ModelInferRequest.InferInputTensor.newBuilder()
                .setName(e.getKey())
                .setDatatype(e.getValue() instanceof float[] ? "FP32" : "INT64");
        for (long d : inputs.shapes().get(e.getKey())) {
          t.addShape(d);
        }
        b.addInputs(t);
        b.addRawInputContents(ByteString.copyFrom(raw(e.getValue())));
      }
      stub.modelInfer(b.build()).getRawOutputContents(0);
    };
  }

  private static byte[] raw(Object values) {
    if (values instanceof float[] f) {
      ByteBuffer b = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(f);
      return b.array();
    }
    long[] l = (long[]) values;
    ByteBuffer b = ByteBuffer.allocate(l.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(l);
    return b.array();
  }

  private static byte[] json(Inputs inputs) {
    StringBuilder json = new StringBuilder("{\"inputs\":[");
    boolean first = true;
    for (var e : inputs.values().entrySet()) {
      json.append(first ? "" : ",");
      first = false;
      boolean floats = e.getValue() instanceof float[];
      json.append("{\"name\":\"")
          .append(e.getKey())
          .append("\",\"datatype\":\"")
          .append(floats ? "FP32" : "INT64")
          .append("\",\"shape\":")
          .append(Arrays.toString(inputs.shapes().get(e.getKey())).replace(" ", ""))
          .append(",\"data\":")
          .append(
              floats
                  ? Arrays.toString((float[]) e.getValue())
                  : Arrays.toString((long[]) e.getValue()))
          .append("}");
    }
    return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
  }

  /** [0]: the JSON header; [1]: the whole body (header, then every input's raw bytes). */
  private static byte[][] binary(Inputs inputs) throws IOException {
    StringBuilder json =
        new StringBuilder("{\"parameters\":{\"binary_data_output\":true},\"inputs\":[");
    java.io.ByteArrayOutputStream tail = new java.io.ByteArrayOutputStream();
    boolean first = true;
    for (var e : inputs.values().entrySet()) {
      byte[] bytes = raw(e.getValue());
      tail.write(bytes);
      json.append(first ? "" : ",");
      first = false;
      json.append("{\"name\":\"")
          .append(e.getKey())
          .append("\",\"datatype\":\"")
          .append(e.getValue() instanceof float[] ? "FP32" : "INT64")
          .append("\",\"shape\":")
          .append(Arrays.toString(inputs.shapes().get(e.getKey())).replace(" ", ""))
          .append(",\"parameters\":{\"binary_data_size\":")
          .append(bytes.length)
          .append("}}");
    }
    byte[] header = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    body.write(header);
    tail.writeTo(body);
    return new byte[][] {header, body.toByteArray()};
  }

  /** Reads one response (status line, headers, Content-Length body); returns the status. */
  private static int readResponse(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int status = -1;
    int contentLength = 0;
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("connection closed by the agent");
      }
      if (c == '\n') {
        String text = line.toString().trim();
        line.setLength(0);
        if (text.isEmpty()) {
          break;
        }
        if (status < 0) {
          status = Integer.parseInt(text.split(" ")[1]);
        } else if (text.toLowerCase().startsWith("content-length:")) {
          contentLength = Integer.parseInt(text.substring(15).trim());
        }
      } else {
        line.append((char) c);
      }
    }
    in.readNBytes(contentLength);
    return status;
  }
}
