// Encode/decode jobs: inputs copied on the JS thread, the work in
// AsyncProgressQueueWorker::Execute without touching JS, stage progress forwarded to the JS
// callback, and every C++ exception turned into a rejection with a `code` (and `tensor`).
#include "modelWrap.h"

#include "errors.h"
#include "napiShared.h"

namespace vqgan {
namespace {

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
    CaughtError caught;
    if (!runCatching([&] { Run(progress); }, caught, "out of memory")) {
      code_ = caught.code;
      tensor_ = caught.tensor;
      SetError(caught.message);
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

}  // namespace

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

}  // namespace vqgan
