// Running the encoder and decoder graphs: ggml_backend_sched with an eval callback at each stage's
// last node (progress, cancellation between stages), a CPU abort callback (cancellation between
// nodes), and the quantizer's argmin on the host.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "errors.h"
#include "ggmlBackends.h"
#include "vqganModel.h"

namespace vqgan {

namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

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
