// ggml's own quantizer and dequantizer, exposed to JavaScript for the GGUF transforms (image aliases,
// checkpoint conversion): ggml_quantize_chunk writes rows exactly as llama.cpp's quantize tool does,
// and the type traits' to_float reads any type back. Both run in an AsyncWorker on copies of the
// inputs. Types ggml_quantize_chunk would abort on (unknown ones, those needing an importance matrix
// we do not have) are refused before ggml sees them, as a coded error.
#include "quantize.h"

#include <cstring>
#include <vector>

#include "errors.h"
#include "ggmlApi.h"
#include "napiShared.h"

namespace vqgan {
namespace {

// The types ggml_quantize_chunk handles without an importance matrix and that GGUF files carry for
// weight matrices. Anything else (IQ1/IQ2 which need an imatrix, ternary and FP4 types tied to
// particular models, the Q8_1/Q8_K intermediates) falls into its `default: assert` or its imatrix
// assert, i.e. a process abort: refuse it here.
bool quantizable(int type) {
  switch (type) {
    case GGML_TYPE_F32: case GGML_TYPE_F16: case GGML_TYPE_BF16:
    case GGML_TYPE_Q4_0: case GGML_TYPE_Q4_1: case GGML_TYPE_Q5_0: case GGML_TYPE_Q5_1: case GGML_TYPE_Q8_0:
    case GGML_TYPE_Q2_K: case GGML_TYPE_Q3_K: case GGML_TYPE_Q4_K: case GGML_TYPE_Q5_K: case GGML_TYPE_Q6_K:
    case GGML_TYPE_IQ3_XXS: case GGML_TYPE_IQ3_S: case GGML_TYPE_IQ4_NL: case GGML_TYPE_IQ4_XS:
      return true;
    default:
      return false;
  }
}

const ggml_type_traits* traitsOf(int type) {
  if (type < 0 || type >= GGML_TYPE_COUNT) throw CodedError("models.quantizeUnsupported", "ggml type " + std::to_string(type) + " does not exist");
  const ggml_type_traits* t = ggml_get_type_traits(static_cast<ggml_type>(type));
  // removed types (Q4_2, Q4_3, …) keep a slot with block size 0
  if (!t || t->blck_size == 0) throw CodedError("models.quantizeUnsupported", "ggml type " + std::to_string(type) + " is no longer defined");
  return t;
}

void checkQuantizable(int type) {
  const ggml_type_traits* t = traitsOf(type);
  if (ggml_quantize_requires_imatrix(static_cast<ggml_type>(type)))
    throw CodedError("models.quantizeUnsupported", std::string("ggml type ") + t->type_name + " needs an importance matrix");
  if (!quantizable(type)) throw CodedError("models.quantizeUnsupported", std::string("ggml type ") + t->type_name + " cannot be written by this app");
}

int64_t int64Arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throw CodedError("vqgan.internal", std::string(what) + " must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (v < 0 || v != static_cast<double>(static_cast<int64_t>(v))) throw CodedError("vqgan.internal", std::string(what) + " must be a non-negative integer");
  return static_cast<int64_t>(v);
}

Napi::Promise rejected(Napi::Env env, const std::string& code, const std::string& message) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Reject(codedError(env, code, message).Value());
  return d.Promise();
}

// One worker for both directions: the job fills `out_` from `in_` on the worker thread.
class BytesWorker : public Napi::AsyncWorker {
 public:
  using Job = void (*)(int type, int64_t a, int64_t b, const std::vector<uint8_t>& in, std::vector<uint8_t>& out);
  BytesWorker(Napi::Env env, Job job, int type, int64_t a, int64_t b, std::vector<uint8_t> in, bool floatsOut)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), job_(job), type_(type), a_(a), b_(b), in_(std::move(in)), floatsOut_(floatsOut) {}
  Napi::Promise promise() const { return deferred_.Promise(); }

 private:
  void Execute() override {
    CaughtError caught;
    if (!runCatching([&] { job_(type_, a_, b_, in_, out_); }, caught, "out of memory while quantizing")) {
      code_ = caught.code;
      SetError(caught.message);
    }
    in_.clear();
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (floatsOut_) {
      auto arr = Napi::Float32Array::New(env, out_.size() / sizeof(float));
      if (!out_.empty()) std::memcpy(arr.Data(), out_.data(), out_.size());
      deferred_.Resolve(arr);
    } else {
      deferred_.Resolve(copyOut(env, out_));
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(codedError(Env(), code_.empty() ? "vqgan.internal" : code_, e.Message()).Value()); }

  Napi::Promise::Deferred deferred_;
  Job job_;
  int type_;
  int64_t a_, b_;
  std::vector<uint8_t> in_, out_;
  bool floatsOut_;
  std::string code_;
};

void quantizeJob(int type, int64_t rows, int64_t perRow, const std::vector<uint8_t>& in, std::vector<uint8_t>& out) {
  out.assign(ggml_row_size(static_cast<ggml_type>(type), perRow) * rows, 0);
  size_t written = ggml_quantize_chunk(static_cast<ggml_type>(type), reinterpret_cast<const float*>(in.data()), out.data(), 0, rows, perRow, nullptr);
  if (written != out.size()) throw CodedError("vqgan.internal", "ggml wrote an unexpected number of bytes");
}

void dequantizeJob(int type, int64_t count, int64_t, const std::vector<uint8_t>& in, std::vector<uint8_t>& out) {
  out.assign(count * sizeof(float), 0);
  traitsOf(type)->to_float(in.data(), reinterpret_cast<float*>(out.data()), count);
}

std::vector<uint8_t> bytesOf(Napi::TypedArray ta) {
  const uint8_t* p = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return std::vector<uint8_t>(p, p + ta.ByteLength());  // copy: the worker never touches JS memory
}

// quantize(type, f32 values, rows, perRow) → Promise<Uint8Array>: rows × ggml_row_size(type, perRow) bytes.
Napi::Value Quantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    int type = static_cast<int>(int64Arg(info, 0, "type"));
    if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) throw CodedError("vqgan.internal", "quantize: values must be a Float32Array");
    int64_t rows = int64Arg(info, 2, "rows"), perRow = int64Arg(info, 3, "perRow");
    checkQuantizable(type);
    const ggml_type_traits* t = traitsOf(type);
    if (perRow == 0 || perRow % t->blck_size != 0)
      throw CodedError("models.quantizeUnsupported", "rows of " + std::to_string(perRow) + " values cannot be " + t->type_name + " (blocks of " + std::to_string(t->blck_size) + ")");
    Napi::TypedArray values = info[1].As<Napi::TypedArray>();
    if (static_cast<int64_t>(values.ElementLength()) != rows * perRow) throw CodedError("vqgan.internal", "quantize: values.length must be rows × perRow");
    auto* w = new BytesWorker(env, quantizeJob, type, rows, perRow, bytesOf(values), false);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  } catch (const CodedError& e) {
    return rejected(env, e.code(), e.what());
  }
}

// dequantize(type, bytes, count) → Promise<Float32Array> of `count` values (whole rows of the type).
Napi::Value Dequantize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    int type = static_cast<int>(int64Arg(info, 0, "type"));
    if (!info[1].IsTypedArray()) throw CodedError("vqgan.internal", "dequantize: bytes must be a typed array");
    int64_t count = int64Arg(info, 2, "count");
    const ggml_type_traits* t = traitsOf(type);
    if (!t->to_float) throw CodedError("models.quantizeUnsupported", std::string("ggml type ") + t->type_name + " cannot be read back");
    if (count % t->blck_size != 0) throw CodedError("vqgan.internal", "dequantize: count must be whole blocks");
    Napi::TypedArray bytes = info[1].As<Napi::TypedArray>();
    if (bytes.ByteLength() != ggml_row_size(static_cast<ggml_type>(type), count)) throw CodedError("vqgan.internal", "dequantize: bytes do not hold count values of this type");
    auto* w = new BytesWorker(env, dequantizeJob, type, count, 0, bytesOf(bytes), true);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  } catch (const CodedError& e) {
    return rejected(env, e.code(), e.what());
  }
}

// ggmlType(type) → {name, blockSize, typeSize, quantized, canQuantize, needsImatrix}; throws for no such type.
Napi::Value GgmlType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    int type = static_cast<int>(int64Arg(info, 0, "type"));
    const ggml_type_traits* t = traitsOf(type);
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", ggml_type_name(static_cast<ggml_type>(type)));
    o.Set("blockSize", static_cast<double>(t->blck_size));
    o.Set("typeSize", static_cast<double>(t->type_size));
    o.Set("quantized", t->is_quantized);
    o.Set("needsImatrix", ggml_quantize_requires_imatrix(static_cast<ggml_type>(type)));
    o.Set("canQuantize", quantizable(type) && !ggml_quantize_requires_imatrix(static_cast<ggml_type>(type)));
    return o;
  } catch (const CodedError& e) {
    throw codedError(env, e.code(), e.what());
  }
}

// rowSize(type, perRow) → bytes of one row, ggml_row_size.
Napi::Value RowSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    int type = static_cast<int>(int64Arg(info, 0, "type"));
    int64_t perRow = int64Arg(info, 1, "perRow");
    const ggml_type_traits* t = traitsOf(type);
    if (perRow % t->blck_size != 0) throw CodedError("models.quantizeUnsupported", "rows of " + std::to_string(perRow) + " values are not whole " + t->type_name + " blocks");
    return Napi::Number::New(env, static_cast<double>(ggml_row_size(static_cast<ggml_type>(type), perRow)));
  } catch (const CodedError& e) {
    throw codedError(env, e.code(), e.what());
  }
}

}  // namespace

void registerQuantize(Napi::Env env, Napi::Object exports) {
  exports.Set("quantize", Napi::Function::New(env, Quantize));
  exports.Set("dequantize", Napi::Function::New(env, Dequantize));
  exports.Set("ggmlType", Napi::Function::New(env, GgmlType));
  exports.Set("rowSize", Napi::Function::New(env, RowSize));
}

}  // namespace vqgan
