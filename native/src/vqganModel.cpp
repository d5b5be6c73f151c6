#include "vqganModel.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "conv3x3.h"
#include "errors.h"
#include "ggmlBackends.h"

namespace vqgan {
namespace {

float f16ToF32(uint16_t h) {
  // exact, subnormals included (the full16 weights hold ~241k of them)
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  float f;
  if (exp == 0) {
    f = std::ldexp(static_cast<float>(man), -24);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    bits |= sign;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  uint32_t bits = exp == 31 ? (sign | 0x7f800000u | (man << 13)) : (sign | ((exp + 112) << 23) | (man << 13));
  std::memcpy(&f, &bits, 4);
  return f;
}

std::vector<float> toF32(const HostTensor& t, size_t count) {
  std::vector<float> out(count);
  const uint8_t* p = t.data.data();
  switch (t.dtype) {
    case DType::F32:
      std::memcpy(out.data(), p, count * 4);
      break;
    case DType::F16:
      for (size_t i = 0; i < count; ++i) out[i] = f16ToF32(static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8)));
      break;
    case DType::BF16:
      for (size_t i = 0; i < count; ++i) {
        uint32_t bits = static_cast<uint32_t>(p[2 * i] | (p[2 * i + 1] << 8)) << 16;
        std::memcpy(&out[i], &bits, 4);
      }
      break;
  }
  return out;
}

size_t dtypeSize(DType d) { return d == DType::F32 ? 4 : 2; }

std::string shapeStr(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

bool Architecture::attnAt(int res) const {
  return std::find(attnResolutions.begin(), attnResolutions.end(), res) != attnResolutions.end();
}

// ---- the tensor list, derived from the architecture exactly as the graph walks it ----

std::vector<Model::Spec> Model::expectedTensors() const {
  std::vector<Spec> specs;
  auto vec = [&](const std::string& n, int64_t c) { specs.push_back({n, {c}}); };
  auto conv = [&](const std::string& p, int64_t out, int64_t in, int64_t k) {
    // every 3x3 conv has stride 1 and padding 1 except the downsampling ones
    const bool shift = cpuConv_ && k == 3;
    specs.push_back({p + ".weight", {out, in, k, k}, shift});
    vec(p + ".bias", out);
  };
  auto norm = [&](const std::string& p, int64_t c) {
    vec(p + ".weight", c);
    vec(p + ".bias", c);
  };
  auto res = [&](const std::string& p, int64_t in, int64_t out) {
    norm(p + ".norm1", in);
    conv(p + ".conv1", out, in, 3);
    norm(p + ".norm2", out);
    conv(p + ".conv2", out, out, 3);
    if (in != out) conv(p + ".nin_shortcut", out, in, 1);
  };
  auto attn = [&](const std::string& p, int64_t c) {
    norm(p + ".norm", c);
    for (const char* n : {".q", ".k", ".v", ".proj_out"}) conv(p + n, c, c, 1);
  };
  const int L = arch_.levels();
  if (arch_.hasEncoder) {
    conv("encoder.conv_in", arch_.ch, arch_.inChannels, 3);
    int64_t c = arch_.ch;
    int r = arch_.resolution;
    for (int i = 0; i < L; ++i) {
      int64_t out = static_cast<int64_t>(arch_.ch) * arch_.chMult[i];
      for (int b = 0; b < arch_.numResBlocks; ++b) {
        std::string p = "encoder.down." + std::to_string(i);
        res(p + ".block." + std::to_string(b), c, out);
        c = out;
        if (arch_.attnAt(r)) attn(p + ".attn." + std::to_string(b), c);
      }
      if (i != L - 1) {
        conv("encoder.down." + std::to_string(i) + ".downsample.conv", c, c, 3);
        r /= 2;
      }
    }
    res("encoder.mid.block_1", c, c);
    attn("encoder.mid.attn_1", c);
    res("encoder.mid.block_2", c, c);
    norm("encoder.norm_out", c);
    conv("encoder.conv_out", arch_.zChannels, c, 3);
    conv("quant_conv", arch_.embedDim, arch_.zChannels, 1);
  }
  specs.push_back({"quantize.embedding.weight", {arch_.nEmbed, arch_.embedDim}});
  if (arch_.hasDecoder) {
    conv("post_quant_conv", arch_.zChannels, arch_.embedDim, 1);
    int64_t c = static_cast<int64_t>(arch_.ch) * arch_.chMult[L - 1];
    conv("decoder.conv_in", c, arch_.zChannels, 3);
    res("decoder.mid.block_1", c, c);
    attn("decoder.mid.attn_1", c);
    res("decoder.mid.block_2", c, c);
    int r = arch_.gridSize();
    for (int i = L - 1; i >= 0; --i) {
      int64_t out = static_cast<int64_t>(arch_.ch) * arch_.chMult[i];
      std::string p = "decoder.up." + std::to_string(i);
      for (int b = 0; b <= arch_.numResBlocks; ++b) {
        res(p + ".block." + std::to_string(b), c, out);
        c = out;
        if (arch_.attnAt(r)) attn(p + ".attn." + std::to_string(b), c);
      }
      if (i != 0) {
        conv(p + ".upsample.conv", c, c, 3);
        r *= 2;
      }
    }
    norm("decoder.norm_out", c);
    conv("decoder.conv_out", arch_.outCh, c, 3);
  }
  return specs;
}

// ---- loading ----

Model::Model(const Architecture& arch, std::vector<HostTensor>& tensors, const LoadOptions& opts) : arch_(arch) {
  const int L = arch_.levels();
  if (L < 1 || arch_.resolution <= 0 || (arch_.resolution % (1 << (L - 1))) != 0 || arch_.ch <= 0 || arch_.nEmbed <= 0 ||
      arch_.embedDim <= 0 || arch_.zChannels <= 0 || arch_.numResBlocks < 1 || (!arch_.hasEncoder && !arch_.hasDecoder)) {
    throw CodedError("vqgan.configInvalid", "invalid VQ-GAN architecture");
  }
  for (int m : arch_.chMult) {
    if (m <= 0 || (arch_.ch * m) % kGroups != 0) throw CodedError("vqgan.configInvalid", "channel counts must be positive multiples of 32");
  }
  if (arch_.zChannels % kGroups != 0) throw CodedError("vqgan.configInvalid", "z_channels must be a multiple of 32");

  const CpuBackendInfo& cpuInfo = cpuBackend();
  ggml_backend_dev_t cpuDev = ggml_backend_reg_dev_get(cpuInfo.reg, 0);
  cpu_ = ggml_backend_dev_init(cpuDev, nullptr);
  if (!cpu_) throw CodedError("vqgan.backendUnavailable", "cannot start the ggml CPU backend");
  cpuSetThreads(cpu_, std::max(1, opts.threads));
  primary_ = cpu_;
  backendName_ = "cpu";
  try {
    // GPU only when asked for: node-llama-cpp 3.21.1's CUDA build aborted the whole process on an
    // H100 with driver 580 (its kernels ship as PTX from a newer toolkit), and a ggml abort cannot
    // be caught, so 'auto' must not walk into it.
    if (opts.backend == "gpu") {
      std::string name, why;
      ggml_backend_t gpu = initGpuBackend(opts.gpuDirs, name, why);
      if (gpu) {
        primary_ = gpu;
        backendName_ = name;
      } else if (opts.backend == "gpu") {
        throw CodedError("vqgan.backendUnavailable", "no usable GPU backend: " + why);
      }
    }
    cpuConv_ = primary_ == cpu_;
    uploadWeights(tensors);
    ggml_backend_t list[2] = {primary_, cpu_};
    int n = primary_ == cpu_ ? 1 : 2;
    sched_ = ggml_backend_sched_new(primary_ == cpu_ ? &list[1] : list, nullptr, n, kGraphSize, false, true);
    if (!sched_) throw CodedError("vqgan.internal", "cannot create the ggml scheduler");
  } catch (...) {
    release();  // a throwing constructor gets no destructor call
    throw;
  }
}

Model::~Model() { release(); }

void Model::release() {
  if (sched_) ggml_backend_sched_free(sched_);
  if (wbuf_) ggml_backend_buffer_free(wbuf_);
  if (wctx_) ggml_free(wctx_);
  if (primary_ && primary_ != cpu_) ggml_backend_free(primary_);
  if (cpu_) ggml_backend_free(cpu_);
  sched_ = nullptr;
  wbuf_ = nullptr;
  wctx_ = nullptr;
  primary_ = cpu_ = nullptr;
}

void Model::uploadWeights(std::vector<HostTensor>& tensors) {
  std::map<std::string, HostTensor*> byName;
  for (auto& t : tensors) byName[t.name] = &t;
  std::vector<Spec> specs = expectedTensors();

  // check everything before allocating anything, so the error names the first bad tensor
  for (const auto& s : specs) {
    auto it = byName.find(s.name);
    if (it == byName.end()) throw CodedError("vqgan.missingTensor", "missing tensor " + s.name, s.name);
    const HostTensor& t = *it->second;
    if (t.shape != s.shape) {
      throw CodedError("vqgan.badTensorShape", "tensor " + s.name + " has shape " + shapeStr(t.shape) + ", expected " + shapeStr(s.shape), s.name);
    }
    size_t count = 1;
    for (auto d : s.shape) count *= static_cast<size_t>(d);
    if (t.data.size() != count * dtypeSize(t.dtype)) {
      throw CodedError("vqgan.badTensorShape", "tensor " + s.name + " has " + std::to_string(t.data.size()) + " bytes, expected " +
                                                   std::to_string(count * dtypeSize(t.dtype)), s.name);
    }
  }

  ggml_init_params params{ggml_tensor_overhead() * (specs.size() + 8), nullptr, true};
  wctx_ = ggml_init(params);
  if (!wctx_) throw CodedError("vqgan.internal", "ggml_init failed");
  for (const auto& s : specs) {
    ggml_tensor* t;
    const auto& sh = s.shape;
    if (s.packed3x3 && winogradFor(s.name)) {
      t = ggml_new_tensor_2d(wctx_, GGML_TYPE_F32, kWinogradTaps * sh[1] * kConvOcBlock, (sh[0] + kConvOcBlock - 1) / kConvOcBlock);
    } else if (s.packed3x3) {
      t = ggml_new_tensor_2d(wctx_, GGML_TYPE_F32, 9 * sh[1] * kConvOcBlock, (sh[0] + kConvOcBlock - 1) / kConvOcBlock);
    } else if (sh.size() == 1) {
      t = ggml_new_tensor_3d(wctx_, GGML_TYPE_F32, 1, 1, sh[0]);  // broadcasts over [W, H, C]
    } else if (sh.size() == 2) {
      t = ggml_new_tensor_2d(wctx_, GGML_TYPE_F32, sh[1], sh[0]);
    } else {
      t = ggml_new_tensor_4d(wctx_, GGML_TYPE_F32, sh[3], sh[2], sh[1], sh[0]);
    }
    ggml_set_name(t, s.name.c_str());
    weights_[s.name] = t;
  }
  wbuf_ = ggml_backend_alloc_ctx_tensors(wctx_, primary_);
  if (!wbuf_) throw CodedError("vqgan.internal", "cannot allocate weight memory on " + backendName_);
  ggml_backend_buffer_set_usage(wbuf_, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
  for (const auto& s : specs) {
    HostTensor& host = *byName[s.name];
    ggml_tensor* t = weights_[s.name];
    // the PyTorch element count: a packed tensor is larger (blocks rounded up, 16 Winograd taps)
    size_t count = 1;
    for (auto d : s.shape) count *= static_cast<size_t>(d);
    std::vector<float> f = toF32(host, count);
    if (s.packed3x3 && winogradFor(s.name)) {
      f = packWinograd3x3(f, s.shape[0], s.shape[1]);
      winograd3x3_.insert(s.name);
    } else if (s.packed3x3) {
      f = packConv3x3(f, s.shape[0], s.shape[1]);
      packed3x3_.insert(s.name);
    }
    ggml_backend_tensor_set(t, f.data(), 0, f.size() * 4);
    if (s.name == "quantize.embedding.weight") {
      // |e|² per code, as the reference computes it (f32 result)
      codebookSq_.assign(arch_.nEmbed, 0.f);
      for (int k = 0; k < arch_.nEmbed; ++k) {
        double acc = 0;
        for (int d = 0; d < arch_.embedDim; ++d) {
          double v = f[static_cast<size_t>(k) * arch_.embedDim + d];
          acc += v * v;
        }
        codebookSq_[k] = static_cast<float>(acc);
      }
    }
    std::vector<uint8_t>().swap(host.data);  // drop the host copy as soon as it is uploaded
  }
}

// The stride-1 3x3 convs run as Winograd F(2x2, 3x3); the downsampling ones (stride 2) stay direct.
// CHAMELEON_VQGAN_CONV=direct keeps every conv direct: `npm run bench:vqgan` times both in one run.
bool Model::winogradFor(const std::string& weightName) {
  static const bool direct = [] {
    const char* v = std::getenv("CHAMELEON_VQGAN_CONV");
    return v != nullptr && std::string(v) == "direct";
  }();
  const std::string down = ".downsample.conv.weight";
  const bool strided = weightName.size() >= down.size() && weightName.compare(weightName.size() - down.size(), down.size(), down) == 0;
  return !direct && !strided;
}

ggml_tensor* Model::w(const std::string& name) const {
  auto it = weights_.find(name);
  if (it == weights_.end()) throw CodedError("vqgan.missingTensor", "missing tensor " + name, name);
  return it->second;
}

}  // namespace vqgan
