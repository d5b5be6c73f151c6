// N-API surface of the VQ-GAN addon. JS inputs are copied into plain structs on the JS thread, the
// work runs in AsyncProgressQueueWorker::Execute without touching JS, and results come back as
// Promises of freshly allocated typed arrays (no external buffers: Electron forbids them). Every
// C++ exception is caught and becomes a rejected Promise carrying a `code` (and `tensor`).
#include <napi.h>

#include <memory>

#include "errors.h"
#include "ggmlBackends.h"
#include "vqganModel.h"

namespace {

using vqgan::CodedError;

Napi::Error codedError(Napi::Env env, const std::string& code, const std::string& message, const std::string& tensor = "") {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  if (!tensor.empty()) err.Set("tensor", Napi::String::New(env, tensor));
  return err;
}

template <typename T>
Napi::TypedArrayOf<T> copyOut(Napi::Env env, const std::vector<T>& v) {
  auto arr = Napi::TypedArrayOf<T>::New(env, v.size());
  if (!v.empty()) std::memcpy(arr.Data(), v.data(), v.size() * sizeof(T));
  return arr;
}

// ---- CancelToken: a JS-owned flag the worker polls ----

class CancelToken : public Napi::ObjectWrap<CancelToken> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "CancelToken", {InstanceMethod("cancel", &CancelToken::Cancel)});
  }
  explicit CancelToken(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CancelToken>(info), flag_(std::make_shared<std::atomic<bool>>(false)) {}
  std::shared_ptr<std::atomic<bool>> flag() const { return flag_; }

 private:
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    flag_->store(true);
    return info.Env().Undefined();
  }
  std::shared_ptr<std::atomic<bool>> flag_;
};

struct AddonData {
  Napi::FunctionReference cancelToken;
  Napi::FunctionReference model;
};

// ---- a worker base that rejects with coded errors and forwards stage progress ----

struct ProgressMsg {
  std::string stage;
  int done = 0, total = 0;
};

class JobWorker : public Napi::AsyncProgressQueueWorker<ProgressMsg> {
 public:
  JobWorker(Napi::Env env, Napi::Value onProgress)
      : Napi::AsyncProgressQueueWorker<ProgressMsg>(env), deferred_(Napi::Promise::Deferred::New(env)) {
    if (onProgress.IsFunction()) progress_ = Napi::Persistent(onProgress.As<Napi::Function>());
  }
  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  virtual void Run(const ExecutionProgress& progress) = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;

  vqgan::JobControl control(const ExecutionProgress& progress) {
    vqgan::JobControl job;
    job.cancelled = cancelled_;
    if (!progress_.IsEmpty()) {
      job.progress = [&progress](const std::string& stage, int done, int total) {
        ProgressMsg msg{stage, done, total};
        progress.Send(&msg, 1);
      };
    }
    return job;
  }

  std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);

 private:
  void Execute(const ExecutionProgress& progress) override {
    try {
      Run(progress);
    } catch (const CodedError& e) {
      code_ = e.code();
      tensor_ = e.tensor();
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = "vqgan.internal";
      SetError("out of memory");
    } catch (const std::exception& e) {
      code_ = "vqgan.internal";
      SetError(e.what());
    } catch (...) {
      code_ = "vqgan.internal";
      SetError("unknown native error");
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(Result(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(codedError(env, "vqgan.internal", e.what()).Value());
    }
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(codedError(Env(), code_.empty() ? "vqgan.internal" : code_, e.Message(), tensor_).Value());
  }
  void OnProgress(const ProgressMsg* msgs, size_t count) override {
    if (progress_.IsEmpty()) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    for (size_t i = 0; i < count; ++i) {
      // a throwing JS progress callback must not take the job down
      try {
        progress_.Call({Napi::String::New(env, msgs[i].stage), Napi::Number::New(env, msgs[i].done), Napi::Number::New(env, msgs[i].total)});
      } catch (...) {
      }
    }
  }

  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference progress_;
  std::string code_, tensor_;
};

// ---- the model object ----

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "VqganModel",
                       {InstanceMethod("backend", &ModelWrap::Backend), InstanceMethod("encode", &ModelWrap::Encode),
                        InstanceMethod("decode", &ModelWrap::Decode), InstanceMethod("dispose", &ModelWrap::Dispose)});
  }
  explicit ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {}
  std::shared_ptr<vqgan::Model> model;

 private:
  std::shared_ptr<vqgan::Model> require(Napi::Env env) {
    if (!model) throw codedError(env, "vqgan.internal", "The VQ-GAN model was disposed.");
    return model;
  }
  static std::shared_ptr<std::atomic<bool>> tokenFlag(Napi::Env env, Napi::Value v) {
    // anything but one of our CancelTokens means "not cancellable"
    if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(env.GetInstanceData<AddonData>()->cancelToken.Value())) {
      return std::make_shared<std::atomic<bool>>(false);
    }
    return Napi::ObjectWrap<CancelToken>::Unwrap(v.As<Napi::Object>())->flag();
  }

  Napi::Value Backend(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), require(info.Env())->backendName()); }
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    model.reset();  // running jobs hold their own reference
    return info.Env().Undefined();
  }
  Napi::Value Encode(const Napi::CallbackInfo& info);
  Napi::Value Decode(const Napi::CallbackInfo& info);
  Napi::Value EncodeImpl(const Napi::CallbackInfo& info);
  Napi::Value DecodeImpl(const Napi::CallbackInfo& info);
};

class EncodeWorker : public JobWorker {
 public:
  EncodeWorker(Napi::Env env, std::shared_ptr<vqgan::Model> model, Napi::Float32Array pixels, bool debug,
               std::shared_ptr<std::atomic<bool>> cancelled, Napi::Value onProgress)
      : JobWorker(env, onProgress), model_(std::move(model)), pixels_(pixels.Data(), pixels.Data() + pixels.ElementLength()), debug_(debug) {
    cancelled_ = std::move(cancelled);
  }

 protected:
  void Run(const ExecutionProgress& progress) override { result_ = model_->encode(pixels_, debug_, control(progress)); }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("codes", copyOut(env, result_.codes));
    o.Set("rows", result_.rows);
    o.Set("cols", result_.cols);
    o.Set("encodeMs", result_.encodeMs);
    o.Set("quantizeMs", result_.quantizeMs);
    if (debug_) {
      o.Set("prequant", copyOut(env, result_.prequant));
      o.Set("encOut", copyOut(env, result_.encOut));
      o.Set("margins", copyOut(env, result_.margins));
    }
    return o;
  }

 private:
  std::shared_ptr<vqgan::Model> model_;
  std::vector<float> pixels_;
  bool debug_;
  vqgan::EncodeResult result_;
};

class DecodeWorker : public JobWorker {
 public:
  DecodeWorker(Napi::Env env, std::shared_ptr<vqgan::Model> model, Napi::Int32Array codes, bool debug,
               std::shared_ptr<std::atomic<bool>> cancelled, Napi::Value onProgress)
      : JobWorker(env, onProgress), model_(std::move(model)), codes_(codes.Data(), codes.Data() + codes.ElementLength()), debug_(debug) {
    cancelled_ = std::move(cancelled);
  }

 protected:
  void Run(const ExecutionProgress& progress) override { result_ = model_->decode(codes_, debug_, control(progress)); }
  Napi::Value Result(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("pixels", copyOut(env, result_.pixels));
    o.Set("decodeMs", result_.decodeMs);
    if (debug_) o.Set("postQuant", copyOut(env, result_.postQuant));
    return o;
  }

 private:
  std::shared_ptr<vqgan::Model> model_;
  std::vector<int32_t> codes_;
  bool debug_;
  vqgan::DecodeResult result_;
};

// node-addon-api turns a thrown Napi::Error into a JS exception; anything else must not escape
template <typename F>
Napi::Value guarded(Napi::Env env, F&& body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const CodedError& e) {
    throw codedError(env, e.code(), e.what(), e.tensor());
  } catch (const std::exception& e) {
    throw codedError(env, "vqgan.internal", e.what());
  }
}

Napi::Value ModelWrap::Encode(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] { return EncodeImpl(info); });
}

Napi::Value ModelWrap::Decode(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&] { return DecodeImpl(info); });
}

Napi::Value ModelWrap::EncodeImpl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw codedError(env, "vqgan.internal", "encode: pixels must be a Float32Array");
  }
  auto* w = new EncodeWorker(env, require(env), info[0].As<Napi::Float32Array>(), info[1].ToBoolean(), tokenFlag(env, info[2]), info[3]);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Value ModelWrap::DecodeImpl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw codedError(env, "vqgan.internal", "decode: codes must be an Int32Array");
  }
  auto* w = new DecodeWorker(env, require(env), info[0].As<Napi::Int32Array>(), info[1].ToBoolean(), tokenFlag(env, info[2]), info[3]);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

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
    try {
      model_ = std::make_shared<vqgan::Model>(arch_, tensors_, opts_);
    } catch (const CodedError& e) {
      code_ = e.code();
      tensor_ = e.tensor();
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = "vqgan.internal";
      SetError("out of memory while loading the VQ-GAN weights");
    } catch (const std::exception& e) {
      code_ = "vqgan.internal";
      SetError(e.what());
    } catch (...) {
      code_ = "vqgan.internal";
      SetError("unknown native error");
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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  Napi::Function token = CancelToken::Init(env);
  Napi::Function model = ModelWrap::Init(env);
  data->cancelToken = Napi::Persistent(token);
  data->model = Napi::Persistent(model);
  env.SetInstanceData<AddonData>(data);
  exports.Set("CancelToken", token);
  exports.Set("load", Napi::Function::New(env, Load));
  exports.Set("ggmlInfo", Napi::Function::New(env, GgmlInfo));
  return exports;
}

}  // namespace

NODE_API_MODULE(vqgan, Init)
