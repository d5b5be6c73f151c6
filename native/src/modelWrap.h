// The JS object for a loaded model: encode/decode queue worker-thread jobs and return Promises.
#pragma once
#include <napi.h>

#include <memory>

#include "napiShared.h"
#include "vqganModel.h"

namespace vqgan {

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

}  // namespace vqgan
