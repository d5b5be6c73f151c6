// Pieces of the N-API layer shared by its files: coded errors as JS Error objects, copying vectors
// into fresh typed arrays (never external buffers: Electron forbids them), the cancel token class
// and the per-instance constructor references.
#pragma once
#include <napi.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace vqgan {

inline Napi::Error codedError(Napi::Env env, const std::string& code, const std::string& message, const std::string& tensor = "") {
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


}  // namespace vqgan
