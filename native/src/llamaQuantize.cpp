// llama.cpp's own model quantizer, llama_model_quantize, from the libllama node-llama-cpp ships:
// GGUF in, GGUF out, with llama.cpp's per-tensor type mix (Q4_K_M keeps some tensors at Q6_K, and so
// on) — exactly what its llama-quantize tool writes. Like ggml, libllama is opened at run time by
// path (no import library on Windows, no link-time dependency); only llama.h's types are used here.
// The call runs in an AsyncWorker; llama.cpp offers no progress or cancel hook for it.
#include <napi.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "dynLib.h"
#include "errors.h"
#include "llama.h"
#include "napiShared.h"

namespace vqgan {
namespace {

struct LlamaQuantizeApi {
  decltype(&::llama_model_quantize_default_params) defaultParams = nullptr;
  decltype(&::llama_model_quantize) quantize = nullptr;
  decltype(&::llama_log_set) logSet = nullptr;
};

// llama.cpp logs a line per tensor at INFO: in the app's main process only its warnings and errors
// (why a quantization failed, fallback types) are worth stderr. CONT continues the previous level.
std::atomic<int> lastLevel{GGML_LOG_LEVEL_INFO};
void warningsOnly(ggml_log_level level, const char* text, void*) {
  int effective = level == GGML_LOG_LEVEL_CONT ? lastLevel.load() : static_cast<int>(level);
  if (level != GGML_LOG_LEVEL_CONT) lastLevel = level;
  if (effective >= GGML_LOG_LEVEL_WARN) std::fputs(text, stderr);
}

LlamaQuantizeApi openLlama(const std::string& path) {
  std::string error;
  void* lib = dynlib::open(path, error);
  if (!lib) throw CodedError("vqgan.backendUnavailable", "cannot load libllama: " + error);
  // stays loaded for the life of the process, like ggml
  LlamaQuantizeApi api;
  api.defaultParams = reinterpret_cast<decltype(api.defaultParams)>(dynlib::symbol(lib, "llama_model_quantize_default_params"));
  api.quantize = reinterpret_cast<decltype(api.quantize)>(dynlib::symbol(lib, "llama_model_quantize"));
  api.logSet = reinterpret_cast<decltype(api.logSet)>(dynlib::symbol(lib, "llama_log_set"));
  if (!api.defaultParams || !api.quantize) throw CodedError("vqgan.backendUnavailable", "the libllama in " + path + " has no llama_model_quantize");
  return api;
}

class QuantizeModelWorker : public Napi::AsyncWorker {
 public:
  QuantizeModelWorker(Napi::Env env, std::string lib, std::string in, std::string out, int ftype, int threads)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), lib_(std::move(lib)), in_(std::move(in)), out_(std::move(out)), ftype_(ftype), threads_(threads) {}
  Napi::Promise promise() const { return deferred_.Promise(); }

 private:
  void Execute() override {
    CaughtError caught;
    bool ok = runCatching([&] {
      LlamaQuantizeApi api = openLlama(lib_);
      if (api.logSet) api.logSet(warningsOnly, nullptr);
      llama_model_quantize_params params = api.defaultParams();
      params.nthread = threads_;
      params.ftype = static_cast<llama_ftype>(ftype_);
      if (api.quantize(in_.c_str(), out_.c_str(), &params) != 0)
        throw CodedError("models.quantizeUnsupported", "llama.cpp could not quantize the model (its log says why)");
    }, caught, "out of memory while quantizing the model");
    if (!ok) {
      code_ = caught.code;
      SetError(caught.message);
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(codedError(Env(), code_.empty() ? "vqgan.internal" : code_, e.Message()).Value()); }

  Napi::Promise::Deferred deferred_;
  std::string lib_, in_, out_;
  int ftype_, threads_;
  std::string code_;
};

// quantizeModel(libllamaPath, inputGguf, outputGguf, llamaFtype, threads) → Promise<void>
Napi::Value QuantizeModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto d = Napi::Promise::Deferred::New(env);
  if (!info[0].IsString() || !info[1].IsString() || !info[2].IsString() || !info[3].IsNumber() || !info[4].IsNumber()) {
    d.Reject(codedError(env, "vqgan.internal", "quantizeModel(lib, in, out, ftype, threads): bad arguments").Value());
    return d.Promise();
  }
  auto* w = new QuantizeModelWorker(env, info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value(), info[2].As<Napi::String>().Utf8Value(),
                                    info[3].As<Napi::Number>().Int32Value(), info[4].As<Napi::Number>().Int32Value());
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

}  // namespace

void registerLlamaQuantize(Napi::Env env, Napi::Object exports) { exports.Set("quantizeModel", Napi::Function::New(env, QuantizeModel)); }

}  // namespace vqgan
