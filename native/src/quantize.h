// ggml's quantizer for the GGUF transforms: quantize/dequantize/ggmlType/rowSize on the addon's exports.
#pragma once
#include <napi.h>

namespace vqgan {
void registerQuantize(Napi::Env env, Napi::Object exports);
// llama.cpp's llama_model_quantize (src/llamaQuantize.cpp): quantizeModel on the addon's exports.
void registerLlamaQuantize(Napi::Env env, Napi::Object exports);
}
