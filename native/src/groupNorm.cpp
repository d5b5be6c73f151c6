#include "groupNorm.h"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace vqgan {
namespace {

struct Params {
  int32_t groups;
  float eps;
};

void groupNormOp(ggml_tensor* dst, const ggml_tensor* x, const ggml_tensor* gamma, const ggml_tensor* beta, int ith, int nth, void* userdata) {
  Params p;
  std::memcpy(&p, &userdata, sizeof(p));
  const int64_t hw = x->ne[0] * x->ne[1], C = x->ne[2], cpg = C / p.groups, n = cpg * hw;
  const float* in = static_cast<const float*>(x->data);
  const float* g = static_cast<const float*>(gamma->data);
  const float* b = static_cast<const float*>(beta->data);
  float* out = static_cast<float*>(dst->data);
  for (int64_t grp = ith; grp < p.groups; grp += nth) {
    const float* xs = in + grp * n;
    // statistics in double, biased variance, two passes (as ggml and PyTorch do)
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += xs[i];
    const float mean = static_cast<float>(sum / static_cast<double>(n));
    double sq = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float d = xs[i] - mean;
      sq += static_cast<double>(d) * d;
    }
    const float rstd = 1.0f / std::sqrt(static_cast<float>(sq / static_cast<double>(n)) + p.eps);
    for (int64_t c = grp * cpg; c < (grp + 1) * cpg; ++c) {
      const float scale = rstd * g[c], shift = b[c];
      const float* xc = in + c * hw;
      float* yc = out + c * hw;
      for (int64_t i = 0; i < hw; ++i) yc[i] = (xc[i] - mean) * scale + shift;
    }
  }
}

}  // namespace

ggml_tensor* groupNormAffineCpu(ggml_context* ctx, ggml_tensor* x, ggml_tensor* gamma, ggml_tensor* beta, int groups, float eps) {
  Params p{groups, eps};
  void* userdata = nullptr;
  static_assert(sizeof(Params) <= sizeof(void*), "params travel in the userdata pointer");
  std::memcpy(&userdata, &p, sizeof(p));
  return ggml_map_custom3(ctx, x, gamma, beta, groupNormOp, GGML_N_TASKS_MAX, userdata);
}

}  // namespace vqgan
