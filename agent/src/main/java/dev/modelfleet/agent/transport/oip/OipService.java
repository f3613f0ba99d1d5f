package dev.modelfleet.agent.transport.oip;

import com.google.protobuf.UnsafeByteOperations;
import dev.modelfleet.agent.inference.LocalInference;
import dev.modelfleet.agent.inference.LocalInference.ModelNotServedException;
import dev.modelfleet.agent.inference.RawTensors;
import dev.modelfleet.agent.runtime.InferenceException;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.Tensor;
import dev.modelfleet.agent.runtime.TensorSpec;
import dev.modelfleet.inference.v2.GRPCInferenceServiceGrpc;
import dev.modelfleet.inference.v2.ModelInferRequest;
import dev.modelfleet.inference.v2.ModelInferResponse;
import dev.modelfleet.inference.v2.ModelMetadataRequest;
import dev.modelfleet.inference.v2.ModelMetadataResponse;
import dev.modelfleet.inference.v2.ModelReadyRequest;
import dev.modelfleet.inference.v2.ModelReadyResponse;
import dev.modelfleet.inference.v2.ServerLiveRequest;
import dev.modelfleet.inference.v2.ServerLiveResponse;
import dev.modelfleet.inference.v2.ServerMetadataRequest;
import dev.modelfleet.inference.v2.ServerMetadataResponse;
import dev.modelfleet.inference.v2.ServerReadyRequest;
import dev.modelfleet.inference.v2.ServerReadyResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Open Inference Protocol's gRPC service over the same models and rules as the REST API ({@link
 * LocalInference}). A request with {@code raw_input_contents} gets {@code raw_output_contents}
 * back, one with typed contents gets typed contents, as Triton answers.
 */
final class OipService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

  private static final Logger LOG = Logger.getLogger("modelfleet.inference");
  static final String PLATFORM = "onnxruntime_onnx";

  private final LocalInference inference;
  private final String agentVersion;

  OipService(LocalInference inference, String agentVersion) {
    this.inference = inference;
    this.agentVersion = agentVersion;
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> out) {
    reply(out, ServerLiveResponse.newBuilder().setLive(true).build());
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> out) {
    reply(out, ServerReadyResponse.newBuilder().setReady(inference.ready()).build());
  }

  @Override
  public void serverMetadata(
      ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> out) {
    reply(
        out,
        ServerMetadataResponse.newBuilder()
            .setName("modelfleet-agent")
            .setVersion(agentVersion)
            .addExtensions("statistics")
            .addExtensions("binary_tensor_data")
            .build());
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> out) {
    ServedModel model = inference.registry().peek(request.getName());
    if (model == null && !inference.expected(request.getName())) {
      out.onError(unknown(request.getName()));
      return;
    }
    boolean ready =
        model != null
            && (request.getVersion().isEmpty() || request.getVersion().equals(model.version()));
    reply(out, ModelReadyResponse.newBuilder().setReady(ready).build());
  }

  @Override
  public void modelMetadata(
      ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> out) {
    ServedModel model = inference.registry().peek(request.getName());
    if (model == null) {
      out.onError(unknown(request.getName()));
      return;
    }
    if (!request.getVersion().isEmpty() && !request.getVersion().equals(model.version())) {
      out.onError(wrongVersion(model, request.getVersion()));
      return;
    }
    ModelMetadataResponse.Builder b =
        ModelMetadataResponse.newBuilder()
            .setName(model.name())
            .addVersions(model.version())
            .setPlatform(PLATFORM);
    for (TensorSpec spec : model.model().inputs()) {
      b.addInputs(metadata(spec));
    }
    for (TensorSpec spec : model.model().outputs()) {
      b.addOutputs(metadata(spec));
    }
    reply(out, b.build());
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> out) {
    long start = System.nanoTime();
    ServedModel model;
    try {
      model = inference.acquire(request.getModelName());
    } catch (ModelNotServedException e) {
      out.onError(
          (e.later() ? Status.UNAVAILABLE : Status.NOT_FOUND)
              .withDescription(e.getMessage())
              .asRuntimeException());
      return;
    }
    ModelInferResponse response;
    try {
      if (!request.getModelVersion().isEmpty()
          && !request.getModelVersion().equals(model.version())) {
        out.onError(wrongVersion(model, request.getModelVersion()));
        return;
      }
      List<Tensor> inputs = inputs(request);
      Set<String> wanted = new LinkedHashSet<>();
      request.getOutputsList().forEach(o -> wanted.add(o.getName()));
      long decoded = System.nanoTime();
      List<Tensor> outputs = inference.run(model, inputs, wanted);
      long ran = System.nanoTime();
      response = response(request, model, outputs, request.getRawInputContentsCount() > 0);
      long end = System.nanoTime();
      model.countServed(decoded - start, end - ran, end - start);
    } catch (InferenceException e) {
      out.onError(
          (e.clientError() ? Status.INVALID_ARGUMENT : Status.INTERNAL)
              .withDescription(e.getMessage())
              .asRuntimeException());
      return;
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "gRPC inference failed on " + request.getModelName(), e);
      out.onError(Status.INTERNAL.withDescription("internal error: " + e).asRuntimeException());
      return;
    } finally {
      model.release();
    }
    reply(out, response);
  }

  private static List<Tensor> inputs(ModelInferRequest request) throws InferenceException {
    int raw = request.getRawInputContentsCount();
    if (raw > 0 && raw != request.getInputsCount()) {
      throw new InferenceException(
          true,
          "raw_input_contents has "
              + raw
              + " entries for "
              + request.getInputsCount()
              + " inputs; give one per input, in the order of inputs");
    }
    List<Tensor> tensors = new ArrayList<>(request.getInputsCount());
    for (int i = 0; i < request.getInputsCount(); i++) {
      ModelInferRequest.InferInputTensor input = request.getInputs(i);
      long[] shape = input.getShapeList().stream().mapToLong(Long::longValue).toArray();
      if (raw > 0) {
        if (input.hasContents()) {
          throw new InferenceException(
              true,
              "input '"
                  + input.getName()
                  + "' has typed contents in a request with raw_input_contents; use one or the"
                  + " other");
        }
        tensors.add(
            RawTensors.decode(
                input.getName(),
                input.getDatatype(),
                shape,
                request.getRawInputContents(i).asReadOnlyByteBuffer()));
      } else {
        tensors.add(
            TypedContents.decode(input.getName(), input.getDatatype(), shape, input.getContents()));
      }
    }
    return tensors;
  }

  private static ModelInferResponse response(
      ModelInferRequest request, ServedModel model, List<Tensor> outputs, boolean raw) {
    ModelInferResponse.Builder b =
        ModelInferResponse.newBuilder()
            .setModelName(model.name())
            .setModelVersion(model.version())
            .setId(request.getId());
    for (Tensor t : outputs) {
      ModelInferResponse.InferOutputTensor.Builder tensor =
          ModelInferResponse.InferOutputTensor.newBuilder()
              .setName(t.name())
              .setDatatype(t.datatype());
      for (long dim : t.shape()) {
        tensor.addShape(dim);
      }
      if (raw) {
        // Ours alone from here on: wrapped, not copied again.
        b.addRawOutputContents(UnsafeByteOperations.unsafeWrap(RawTensors.encode(t)));
      } else {
        tensor.setContents(TypedContents.encode(t));
      }
      b.addOutputs(tensor);
    }
    return b.build();
  }

  private static ModelMetadataResponse.TensorMetadata metadata(TensorSpec spec) {
    ModelMetadataResponse.TensorMetadata.Builder b =
        ModelMetadataResponse.TensorMetadata.newBuilder()
            .setName(spec.name())
            .setDatatype(spec.datatype());
    for (long dim : spec.shape()) {
      b.addShape(dim);
    }
    return b.build();
  }

  private RuntimeException unknown(String name) {
    return Status.NOT_FOUND
        .withDescription(
            "unknown model '"
                + name
                + "'; models served here: "
                + inference.registry().all().stream().map(ServedModel::name).sorted().toList())
        .asRuntimeException();
  }

  private static RuntimeException wrongVersion(ServedModel model, String asked) {
    return Status.NOT_FOUND
        .withDescription(
            "model '"
                + model.name()
                + "' version "
                + asked
                + " is not served here; this device serves version "
                + model.version()
                + " (leave the version empty for it)")
        .asRuntimeException();
  }

  private static <T> void reply(StreamObserver<T> out, T value) {
    out.onNext(value);
    out.onCompleted();
  }
}
