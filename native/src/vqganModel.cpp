#include "vqganModel.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "conv3x3.h"
#include "errors.h"
#include "groupNorm.h"
#include "ggmlBackends.h"

namespace vqgan {
namespace {

constexpr int kGroups = 32;        // GroupNorm groups, fixed by the reference
constexpr float kNormEps = 1e-6f;  // GroupNorm eps
constexpr size_t kGraphSize = 8192;

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

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
    if (s.packed3x3) {
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
    std::vector<float> f = toF32(host, static_cast<size_t>(ggml_nelements(t)));
    if (s.packed3x3) {
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

ggml_tensor* Model::w(const std::string& name) const {
  auto it = weights_.find(name);
  if (it == weights_.end()) throw CodedError("vqgan.missingTensor", "missing tensor " + name, name);
  return it->second;
}

// ---- graph pieces ----

ggml_tensor* Model::conv(ggml_context* ctx, ggml_tensor* x, const std::string& p, int stride, int pad) const {
  if (packed3x3_.count(p + ".weight")) {
    ggml_tensor* b = w(p + ".bias");
    return conv3x3Cpu(ctx, x, w(p + ".weight"), b, b->ne[2], stride);
  }
  // ggml_conv_2d (im2col + matmul) was ~1e-4 less precise here (its im2col path rounds through
  // f16), enough to break the golden tolerances; the direct conv keeps f32 throughout
  ggml_tensor* y = ggml_conv_2d_direct(ctx, w(p + ".weight"), x, stride, stride, pad, pad, 1, 1);
  return ggml_add(ctx, y, w(p + ".bias"));
}

// pad right and bottom only by one zero row/column, then 3x3 conv with stride 2, no padding
ggml_tensor* Model::downsample(ggml_context* ctx, ggml_tensor* x, const std::string& p) const {
  if (packed3x3_.count(p + ".weight")) return conv(ctx, x, p, 2, 0);  // conv3x3Cpu pads by itself
  return conv(ctx, ggml_pad_ext(ctx, x, 0, 1, 0, 1, 0, 0, 0, 0), p, 2, 0);
}

ggml_tensor* Model::norm(ggml_context* ctx, ggml_tensor* x, const std::string& p) const {
  if (cpuConv_) return groupNormAffineCpu(ctx, x, w(p + ".weight"), w(p + ".bias"), kGroups, kNormEps);
  ggml_tensor* y = ggml_group_norm(ctx, x, kGroups, kNormEps);
  return ggml_add(ctx, ggml_mul(ctx, y, w(p + ".weight")), w(p + ".bias"));
}

ggml_tensor* Model::resBlock(ggml_context* ctx, ggml_tensor* x, const std::string& p, int in, int out) const {
  ggml_tensor* h = conv(ctx, ggml_silu(ctx, norm(ctx, x, p + ".norm1")), p + ".conv1", 1, 1);
  h = conv(ctx, ggml_silu(ctx, norm(ctx, h, p + ".norm2")), p + ".conv2", 1, 1);
  ggml_tensor* shortcut = in != out ? conv(ctx, x, p + ".nin_shortcut", 1, 0) : x;
  return ggml_add(ctx, shortcut, h);
}

ggml_tensor* Model::attnBlock(ggml_context* ctx, ggml_tensor* x, const std::string& p) const {
  const int64_t W = x->ne[0], H = x->ne[1], C = x->ne[2], N = W * H;
  ggml_tensor* h = norm(ctx, x, p + ".norm");
  auto channelsFirst = [&](ggml_tensor* t) { return ggml_cont(ctx, ggml_transpose(ctx, ggml_reshape_2d(ctx, t, N, C))); };
  ggml_tensor* q = channelsFirst(conv(ctx, h, p + ".q", 1, 0));  // [C, N]
  ggml_tensor* k = channelsFirst(conv(ctx, h, p + ".k", 1, 0));  // [C, N]
  ggml_tensor* v = ggml_reshape_2d(ctx, conv(ctx, h, p + ".v", 1, 0), N, C);  // [N, C]
  ggml_tensor* scores = ggml_mul_mat(ctx, k, q);  // [N keys, N queries]
  // the reference multiplies the f32 scores by the double int(C)**-0.5, i.e. by its f32 rounding
  const float scale = static_cast<float>(std::pow(static_cast<double>(C), -0.5));
  ggml_tensor* attn = ggml_soft_max_ext(ctx, scores, nullptr, scale, 0.0f);
  ggml_tensor* out = ggml_mul_mat(ctx, attn, v);  // [N queries, C]
  out = ggml_reshape_4d(ctx, out, W, H, C, 1);
  return ggml_add(ctx, x, conv(ctx, out, p + ".proj_out", 1, 0));
}

// ---- running a graph with progress and cancellation ----

namespace {

struct EvalState {
  const std::vector<std::pair<ggml_tensor*, std::string>>* stages;
  const JobControl* job;
  Clock::time_point start;
  std::vector<double> stageMs;
  // VQGAN_PROFILE=1: time every node and print a per-op summary (a developer aid for benchmarks)
  bool profile = false;
  Clock::time_point last;
  std::map<std::string, std::pair<double, int>> perOp;
};

bool isCancelled(const JobControl& job) { return job.cancelled && job.cancelled->load(); }

bool evalCallback(ggml_tensor* t, bool ask, void* data) {
  auto* s = static_cast<EvalState*>(data);
  if (s->profile) {
    if (ask) return true;
    auto now = Clock::now();
    std::string key = std::string(ggml_op_desc(t)) + (t->op == GGML_OP_MUL_MAT || t->op == GGML_OP_CONV_2D ? " " + std::to_string(t->ne[0]) + "x" + std::to_string(t->ne[1]) : "");
    auto& e = s->perOp[key];
    e.first += std::chrono::duration<double, std::milli>(now - s->last).count();
    e.second++;
    s->last = now;
  }
  const auto& stages = *s->stages;
  for (size_t i = 0; i < stages.size(); ++i) {
    if (stages[i].first != t) continue;
    if (ask) return true;
    s->stageMs[i] = msSince(s->start);
    if (s->job->progress) s->job->progress(stages[i].second, static_cast<int>(i + 1), static_cast<int>(stages.size()));
    return !isCancelled(*s->job);
  }
  if (ask) return false;
  return !isCancelled(*s->job);
}

bool abortCallback(void* data) { return isCancelled(*static_cast<const JobControl*>(data)); }

struct CtxGuard {
  ggml_context* ctx;
  ~CtxGuard() { ggml_free(ctx); }
};

}  // namespace

std::vector<double> Model::run(ggml_context* ctx, ggml_cgraph* graph, const std::vector<std::pair<ggml_tensor*, std::string>>& stages,
                               const JobControl& job, const std::function<void()>& setInputs) {
  (void)ctx;
  EvalState state{&stages, &job, Clock::now(), std::vector<double>(stages.size(), 0.0), false, Clock::now(), {}};
  ggml_backend_sched_reset(sched_);
  ggml_backend_sched_set_eval_callback(sched_, evalCallback, &state);
  cpuSetAbortCallback(cpu_, abortCallback, const_cast<JobControl*>(&job));
  if (!ggml_backend_sched_alloc_graph(sched_, graph)) throw CodedError("vqgan.internal", "cannot allocate compute memory");
  setInputs();
  if (isCancelled(job)) throw CodedError("vqgan.cancelled", "The image operation was cancelled.");
  state.start = state.last = Clock::now();
  state.profile = std::getenv("VQGAN_PROFILE") != nullptr;
  ggml_status status = ggml_backend_sched_graph_compute(sched_, graph);
  ggml_backend_sched_synchronize(sched_);
  cpuSetAbortCallback(cpu_, nullptr, nullptr);
  ggml_backend_sched_set_eval_callback(sched_, nullptr, nullptr);
  if (state.profile) {
    std::vector<std::pair<double, std::string>> rows;
    for (auto& [k, v] : state.perOp) rows.push_back({v.first, k + " ×" + std::to_string(v.second)});
    std::sort(rows.rbegin(), rows.rend());
    for (auto& [ms, k] : rows) fprintf(stderr, "  %9.1f ms  %s\n", ms, k.c_str());
  }
  if (isCancelled(job) || status == GGML_STATUS_ABORTED) throw CodedError("vqgan.cancelled", "The image operation was cancelled.");
  if (status != GGML_STATUS_SUCCESS) throw CodedError("vqgan.internal", std::string("ggml compute failed: ") + ggml_status_to_string(status));
  return state.stageMs;
}

static ggml_context* graphContext() {
  ggml_init_params params{ggml_tensor_overhead() * kGraphSize + ggml_graph_overhead_custom(kGraphSize, false), nullptr, true};
  ggml_context* ctx = ggml_init(params);
  if (!ctx) throw CodedError("vqgan.internal", "ggml_init failed");
  return ctx;
}

static std::vector<float> readF32(ggml_tensor* t) {
  std::vector<float> out(static_cast<size_t>(ggml_nelements(t)));
  ggml_backend_tensor_get(t, out.data(), 0, out.size() * 4);
  return out;
}

EncodeResult Model::encode(const std::vector<float>& pixels, bool debug, const JobControl& job) {
  if (!arch_.hasEncoder) throw CodedError("vqgan.missingTensor", "these weights have no encoder", "encoder.conv_in.weight");
  const int R = arch_.resolution, L = arch_.levels();
  if (pixels.size() != static_cast<size_t>(arch_.inChannels) * R * R) throw CodedError("vqgan.internal", "encode: wrong pixel count");
  std::lock_guard<std::mutex> lock(mutex_);
  CtxGuard g{graphContext()};
  ggml_context* ctx = g.ctx;
  std::vector<std::pair<ggml_tensor*, std::string>> stages;

  ggml_tensor* x = ggml_new_tensor_4d(ctx, GGML_TYPE_F32, R, R, arch_.inChannels, 1);
  ggml_set_input(x);
  ggml_tensor* h = conv(ctx, x, "encoder.conv_in", 1, 1);
  int c = arch_.ch, r = R;
  for (int i = 0; i < L; ++i) {
    const std::string p = "encoder.down." + std::to_string(i);
    const int out = arch_.ch * arch_.chMult[i];
    for (int b = 0; b < arch_.numResBlocks; ++b) {
      h = resBlock(ctx, h, p + ".block." + std::to_string(b), c, out);
      c = out;
      if (arch_.attnAt(r)) h = attnBlock(ctx, h, p + ".attn." + std::to_string(b));
    }
    if (i != L - 1) {
      h = downsample(ctx, h, p + ".downsample.conv");
      r /= 2;
    }
    stages.push_back({h, p});
  }
  h = resBlock(ctx, h, "encoder.mid.block_1", c, c);
  h = attnBlock(ctx, h, "encoder.mid.attn_1");
  h = resBlock(ctx, h, "encoder.mid.block_2", c, c);
  stages.push_back({h, "encoder.mid"});
  ggml_tensor* encOut = conv(ctx, ggml_silu(ctx, norm(ctx, h, "encoder.norm_out")), "encoder.conv_out", 1, 1);
  ggml_set_output(encOut);
  ggml_tensor* z = conv(ctx, encOut, "quant_conv", 1, 0);
  ggml_set_output(z);
  stages.push_back({z, "encoder.out"});
  const int64_t rows = z->ne[1], cols = z->ne[0], D = z->ne[2], P = rows * cols;
  ggml_tensor* zT = ggml_cont(ctx, ggml_transpose(ctx, ggml_reshape_2d(ctx, z, P, D)));  // [D, P]
  ggml_tensor* dots = ggml_mul_mat(ctx, w("quantize.embedding.weight"), zT);           // [nEmbed, P]
  ggml_set_output(dots);
  stages.push_back({dots, "quantize"});

  ggml_cgraph* graph = ggml_new_graph_custom(ctx, kGraphSize, false);
  ggml_build_forward_expand(graph, dots);

  auto t0 = Clock::now();
  std::vector<double> stageMs = run(ctx, graph, stages, job, [&] { ggml_backend_tensor_set(x, pixels.data(), 0, pixels.size() * 4); });
  EncodeResult res;
  res.rows = static_cast<int>(rows);
  res.cols = static_cast<int>(cols);
  std::vector<float> zv = readF32(z), dv = readF32(dots);
  auto tq = Clock::now();
  // distances as the reference computes them, in f32: (|z|² + |e|²) − 2·z·e, argmin
  res.codes.resize(P);
  res.margins.resize(P);
  const int K = arch_.nEmbed;
  for (int64_t p = 0; p < P; ++p) {
    double acc = 0;
    for (int64_t d = 0; d < D; ++d) acc += static_cast<double>(zv[d * P + p]) * zv[d * P + p];
    const float zsq = static_cast<float>(acc);
    const float* dot = dv.data() + p * K;
    float best = std::numeric_limits<float>::infinity(), second = best;
    int32_t bestK = 0;
    for (int k = 0; k < K; ++k) {
      float dist = (zsq + codebookSq_[k]) - 2.0f * dot[k];
      if (dist < best) {
        second = best;
        best = dist;
        bestK = k;
      } else if (dist < second) {
        second = dist;
      }
    }
    res.codes[p] = bestK;
    res.margins[p] = second - best;
  }
  const size_t encIdx = stages.size() - 2;
  res.encodeMs = stageMs[encIdx];
  res.quantizeMs = (stageMs.back() - stageMs[encIdx]) + msSince(tq);
  (void)t0;
  if (debug) {
    res.prequant = std::move(zv);
    res.encOut = readF32(encOut);
  } else {
    res.margins.clear();
  }
  return res;
}

DecodeResult Model::decode(const std::vector<int32_t>& codes, bool debug, const JobControl& job) {
  if (!arch_.hasDecoder) throw CodedError("vqgan.noDecoder", "These VQ-GAN weights have no decoder (encoder-only checkpoint), so images cannot be decoded.");
  const int g = arch_.gridSize(), L = arch_.levels();
  if (codes.size() != static_cast<size_t>(g) * g) {
    throw CodedError("vqgan.internal", "decode expects " + std::to_string(g * g) + " codes, got " + std::to_string(codes.size()));
  }
  for (int32_t code : codes) {
    if (code < 0 || code >= arch_.nEmbed) throw CodedError("vqgan.internal", "code " + std::to_string(code) + " is outside the codebook");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  CtxGuard guard{graphContext()};
  ggml_context* ctx = guard.ctx;
  std::vector<std::pair<ggml_tensor*, std::string>> stages;

  ggml_tensor* ids = ggml_new_tensor_1d(ctx, GGML_TYPE_I32, g * g);
  ggml_set_input(ids);
  ggml_tensor* zq = ggml_get_rows(ctx, w("quantize.embedding.weight"), ids);  // [D, P]
  zq = ggml_reshape_4d(ctx, ggml_cont(ctx, ggml_transpose(ctx, zq)), g, g, arch_.embedDim, 1);
  ggml_tensor* post = conv(ctx, zq, "post_quant_conv", 1, 0);
  ggml_set_output(post);
  int c = arch_.ch * arch_.chMult[L - 1];
  ggml_tensor* h = conv(ctx, post, "decoder.conv_in", 1, 1);
  h = resBlock(ctx, h, "decoder.mid.block_1", c, c);
  h = attnBlock(ctx, h, "decoder.mid.attn_1");
  h = resBlock(ctx, h, "decoder.mid.block_2", c, c);
  stages.push_back({h, "decoder.mid"});
  int r = g;
  for (int i = L - 1; i >= 0; --i) {
    const std::string p = "decoder.up." + std::to_string(i);
    const int out = arch_.ch * arch_.chMult[i];
    for (int b = 0; b <= arch_.numResBlocks; ++b) {
      h = resBlock(ctx, h, p + ".block." + std::to_string(b), c, out);
      c = out;
      if (arch_.attnAt(r)) h = attnBlock(ctx, h, p + ".attn." + std::to_string(b));
    }
    if (i != 0) {
      h = ggml_upscale(ctx, h, 2, GGML_SCALE_MODE_NEAREST);
      h = conv(ctx, h, p + ".upsample.conv", 1, 1);
      r *= 2;
    }
    stages.push_back({h, p});
  }
  ggml_tensor* out = conv(ctx, ggml_silu(ctx, norm(ctx, h, "decoder.norm_out")), "decoder.conv_out", 1, 1);
  ggml_set_output(out);
  stages.push_back({out, "decoder.out"});

  ggml_cgraph* graph = ggml_new_graph_custom(ctx, kGraphSize, false);
  ggml_build_forward_expand(graph, out);
  std::vector<double> stageMs = run(ctx, graph, stages, job, [&] { ggml_backend_tensor_set(ids, codes.data(), 0, codes.size() * 4); });
  DecodeResult res;
  res.pixels = readF32(out);
  res.decodeMs = stageMs.back();
  if (debug) res.postQuant = readF32(post);
  return res;
}

}  // namespace vqgan
