package dev.modelfleet.e2e.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Silero VAD inference latency: the agent's /v2/models/{name}/infer over a kept-alive HTTP/1.1
 * connection, against OrtSession.run on the same model and inputs in this JVM.
 */
final class InferBench {

  record Result(Samples direct, Samples http) {}

  private InferBench() {}

  static Result run(Path model, URI agent, String modelName, int iterations) throws Exception {
    return new Result(direct(model, iterations), http(agent, modelName, iterations));
  }

  private static Samples direct(Path model, int iterations) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    float[] audio = audio();
    try (OrtSession session =
        env.createSession(model.toString(), new OrtSession.SessionOptions())) {
      Samples samples = new Samples(iterations);
      for (int i = -iterations / 5; i < iterations; i++) {
        long start = System.nanoTime();
        try (OnnxTensor input =
                OnnxTensor.createTensor(env, FloatBuffer.wrap(audio), new long[] {1, 512});
            OnnxTensor state =
                OnnxTensor.createTensor(
                    env, FloatBuffer.wrap(new float[256]), new long[] {2, 1, 128});
            OnnxTensor rate =
                OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {16000}), new long[] {});
            OrtSession.Result result =
                session.run(Map.of("input", input, "state", state, "sr", rate))) {
          result.get(0).getValue();
        }
        if (i >= 0) {
          samples.add(System.nanoTime() - start);
        }
      }
      return samples;
    }
  }

  private static Samples http(URI agent, String modelName, int iterations) throws IOException {
    byte[] body = requestJson().getBytes(StandardCharsets.UTF_8);
    byte[] head =
        ("POST /v2/models/"
                + modelName
                + "/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: "
                + body.length
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    try (Socket socket = new Socket(agent.getHost(), agent.getPort())) {
      socket.setTcpNoDelay(true);
      OutputStream out = socket.getOutputStream();
      InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
      Samples samples = new Samples(iterations);
      for (int i = -iterations / 5; i < iterations; i++) {
        long start = System.nanoTime();
        out.write(head);
        out.write(body);
        out.flush();
        int status = readResponse(in);
        if (status != 200) {
          throw new IllegalStateException("infer answered " + status);
        }
        if (i >= 0) {
          samples.add(System.nanoTime() - start);
        }
      }
      return samples;
    }
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

  private static float[] audio() {
    float[] audio = new float[512];
    for (int i = 0; i < audio.length; i++) {
      audio[i] = (float) (Math.sin(i / 8.0) * 0.3);
    }
    return audio;
  }

  private static String requestJson() {
    StringBuilder json =
        new StringBuilder(
            "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,512],\"data\":[");
    float[] audio = audio();
    for (int i = 0; i < audio.length; i++) {
      json.append(i == 0 ? "" : ",").append(audio[i]);
    }
    json.append("]},{\"name\":\"state\",\"datatype\":\"FP32\",\"shape\":[2,1,128],\"data\":[");
    for (int i = 0; i < 256; i++) {
      json.append(i == 0 ? "0" : ",0");
    }
    json.append("]},{\"name\":\"sr\",\"datatype\":\"INT64\",\"shape\":[],\"data\":[16000]}]}");
    return json.toString();
  }
}
