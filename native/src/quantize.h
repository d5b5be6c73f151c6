// ggml's quantizer for the GGUF transforms: quantize/dequantize/ggmlType/rowSize on the addon's exports.
#pragma once
#include <napi.h>

namespace vqgan {
void registerQuantize(Napi::Env env, Napi::Object exports);
}
