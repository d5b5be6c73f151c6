// The network's building blocks as ggml graph pieces; tensors are [W, H, C, 1] (channels-first,
// the reference's NCHW memory order). On the CPU backend 3x3 convs and GroupNorm use our kernels.
#include <cmath>

#include "conv3x3.h"
#include "groupNorm.h"
#include "vqganModel.h"

namespace vqgan {

ggml_tensor* Model::conv(ggml_context* ctx, ggml_tensor* x, const std::string& p, int stride, int pad) const {
  if (stride == 1 && winograd3x3_.count(p + ".weight")) {
    ggml_tensor* b = w(p + ".bias");
    return conv3x3WinogradCpu(ctx, x, w(p + ".weight"), b, b->ne[2]);
  }
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

}  // namespace vqgan
