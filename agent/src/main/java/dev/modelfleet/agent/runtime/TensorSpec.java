package dev.modelfleet.agent.runtime;

/**
 * A model input or output as the inference protocol describes it: Open Inference Protocol datatype
 * ("FP32", "INT64", ...) and shape, with -1 for a dynamic dimension.
 */
public record TensorSpec(String name, String datatype, long[] shape) {}
