// N-API surface of the VQ-GAN addon. JS inputs are copied into plain structs on the JS thread, the
// work runs in AsyncProgressQueueWorker::Execute without touching JS, and results come back as
// Promises of freshly allocated typed arrays (no external buffers: Electron forbids them). Every
// C++ exception is caught and becomes a rejected Promise carrying a `code` (and `tensor`).
#include <napi.h>

#include <memory>

#include "errors.h"
#include "ggmlBackends.h"
#include "modelWrap.h"
#include "napiShared.h"
#include "quantize.h"
#include "vqganModel.h"

namespace vqgan {
namespace {

// ---- load(arch, tensors, opts) ----

int intProp(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw CodedError("vqgan.configInvalid", std::string("architecture field ") + key + " must be a number");
  return v.As<Napi::Number>().Int32Value();
}

std::vector<int> intList(Napi::Object o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsArray()) throw CodedError("vqgan.configInvalid", std::string("architecture field ") + key + " must be an array");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<int> out;
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(a.Get(i).ToNumber().Int32Value());
  return out;
}

vqgan::Architecture readArch(Napi::Object o) {
  vqgan::Architecture a;
  a.resolution = intProp(o, "resolution");
  a.inChannels = intProp(o, "inChannels");
  a.outCh = intProp(o, "outCh");
  a.ch = intProp(o, "ch");
  a.chMult = intList(o, "chMult");
  a.numResBlocks = intProp(o, "numResBlocks");
  a.attnResolutions = intList(o, "attnResolutions");
  a.zChannels = intProp(o, "zChannels");
  a.embedDim = intProp(o, "embedDim");
  a.nEmbed = intProp(o, "nEmbed");
  a.hasEncoder = o.Get("hasEncoder").ToBoolean();
  a.hasDecoder = o.Get("hasDecoder").ToBoolean();
  return a;
}

class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, vqgan::Architecture arch, std::vector<vqgan::HostTensor> tensors, vqgan::LoadOptions opts)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), arch_(std::move(arch)), tensors_(std::move(tensors)), opts_(std::move(opts)) {}
  Napi::Promise promise() const { return deferred_.Promise(); }

 private:
  void Execute() override {
    CaughtError caught;
    if (!runCatching([&] { model_ = std::make_shared<vqgan::Model>(arch_, tensors_, opts_); }, caught, "out of memory while loading the VQ-GAN weights")) {
      code_ = caught.code;
      tensor_ = caught.tensor;
      SetError(caught.message);
    }
    tensors_.clear();
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object obj = env.GetInstanceData<AddonData>()->model.New({});
    ModelWrap::Unwrap(obj)->model = std::move(model_);
    deferred_.Resolve(obj);
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(codedError(Env(), code_.empty() ? "vqgan.internal" : code_, e.Message(), tensor_).Value());
  }

  Napi::Promise::Deferred deferred_;
  vqgan::Architecture arch_;
  std::vector<vqgan::HostTensor> tensors_;
  vqgan::LoadOptions opts_;
  std::shared_ptr<vqgan::Model> model_;
  std::string code_, tensor_;
};

Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto reject = [&](const std::string& code, const std::string& msg, const std::string& tensor = "") {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(codedError(env, code, msg, tensor).Value());
    return d.Promise();
  };
  try {
    if (!info[0].IsObject() || !info[1].IsArray() || !info[2].IsObject()) return reject("vqgan.internal", "load(arch, tensors, opts): bad arguments");
    vqgan::Architecture arch = readArch(info[0].As<Napi::Object>());
    Napi::Array list = info[1].As<Napi::Array>();
    std::vector<vqgan::HostTensor> tensors;
    tensors.reserve(list.Length());
    for (uint32_t i = 0; i < list.Length(); ++i) {
      Napi::Object t = list.Get(i).As<Napi::Object>();
      vqgan::HostTensor h;
      h.name = t.Get("name").ToString().Utf8Value();
      std::string dtype = t.Get("dtype").ToString().Utf8Value();
      if (dtype == "f32") h.dtype = vqgan::DType::F32;
      else if (dtype == "f16") h.dtype = vqgan::DType::F16;
      else if (dtype == "bf16") h.dtype = vqgan::DType::BF16;
      else return reject("vqgan.weightsInvalid", "tensor " + h.name + " has unsupported dtype " + dtype, h.name);
      for (int64_t d : intList(t, "shape")) h.shape.push_back(d);
      Napi::Value data = t.Get("data");
      if (!data.IsTypedArray()) return reject("vqgan.weightsInvalid", "tensor " + h.name + " has no data", h.name);
      Napi::TypedArray ta = data.As<Napi::TypedArray>();
      const uint8_t* bytes = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
      h.data.assign(bytes, bytes + ta.ByteLength());  // copy: the worker never touches JS memory
      tensors.push_back(std::move(h));
    }
    Napi::Object o = info[2].As<Napi::Object>();
    vqgan::LoadOptions opts;
    opts.backend = o.Get("backend").ToString().Utf8Value();
    if (opts.backend != "auto" && opts.backend != "cpu" && opts.backend != "gpu") return reject("vqgan.backendUnavailable", "unknown backend " + opts.backend);
    opts.threads = o.Get("threads").IsNumber() ? o.Get("threads").As<Napi::Number>().Int32Value() : 1;
    if (o.Get("gpuDirs").IsArray()) {
      Napi::Array dirs = o.Get("gpuDirs").As<Napi::Array>();
      for (uint32_t i = 0; i < dirs.Length(); ++i) opts.gpuDirs.push_back(dirs.Get(i).ToString().Utf8Value());
    }
    auto* w = new LoadWorker(env, std::move(arch), std::move(tensors), std::move(opts));
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  } catch (const CodedError& e) {
    return reject(e.code(), e.what(), e.tensor());
  } catch (const Napi::Error& e) {
    return reject("vqgan.internal", e.Message());
  } catch (const std::exception& e) {
    return reject("vqgan.internal", e.what());
  }
}

// init(ggmlDir): opens node-llama-cpp's libggml-base in that folder; must precede everything else.
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw codedError(env, "vqgan.internal", "init(ggmlDir): ggmlDir must be a string");
  try {
    vqgan::loadGgml(info[0].As<Napi::String>().Utf8Value());
  } catch (const CodedError& e) {
    throw codedError(env, e.code(), e.what());
  }
  return env.Undefined();
}

Napi::Value GgmlInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    const auto& cpu = vqgan::cpuBackend();
    Napi::Object o = Napi::Object::New(env);
    o.Set("cpuVariant", cpu.variantPath);
    o.Set("loadedFrom", cpu.baseDir);
    return o;
  } catch (const CodedError& e) {
    throw codedError(env, e.code(), e.what());
  } catch (const std::exception& e) {
    throw codedError(env, "vqgan.internal", e.what());
  }
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  Napi::Function token = CancelToken::Init(env);
  Napi::Function model = ModelWrap::Init(env);
  data->cancelToken = Napi::Persistent(token);
  data->model = Napi::Persistent(model);
  env.SetInstanceData<AddonData>(data);
  exports.Set("CancelToken", token);
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("load", Napi::Function::New(env, Load));
  exports.Set("ggmlInfo", Napi::Function::New(env, GgmlInfo));
  registerQuantize(env, exports);
  registerLlamaQuantize(env, exports);
  return exports;
}

}  // namespace
}  // namespace vqgan

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return vqgan::InitModule(env, exports); }

NODE_API_MODULE(vqgan, InitAddon)
