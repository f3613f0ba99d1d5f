/**
 * The graph rewrites that derive variants: int8 dynamic, static and QDQ quantization (with the
 * activation ranges QDQ calibrates), fp16 conversion and the opset upgrade they need, over the ONNX
 * protobuf messages ({@code ai.onnx.proto.OnnxMl}), with the tensor helpers they share. Pure
 * functions of a model: nothing here runs one (ONNX Runtime is the rest of {@code quantization}'s
 * business, e.g. the calibration runs int8 static measures its ranges on) or touches the database.
 */
package dev.modelfleet.server.quantization.graph;
