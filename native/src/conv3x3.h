// A CPU 3x3 convolution (stride 1, zero padding 1, bias) run as a ggml custom op on ggml's own
// threads. It replaces ggml_conv_2d_direct on the CPU backend: that op gathers im2col rows from
// channel planes a megabyte apart at 512² and then calls a general GEMM, which made the full-size
// encoder ~3.5× slower than this register-tiled direct kernel (one 512² encode here: 18 s → 5 s),
// and this one needs no im2col buffer.
#pragma once
#include <cstdint>
#include <vector>

#include "ggmlApi.h"

namespace vqgan {

constexpr int kConvOcBlock = 8;  // output channels per packed weight block

// PyTorch [OC, IC, 3, 3] f32 -> packed blocks [ceil(OC/8)][IC·9][8] (zero-filled past OC).
std::vector<float> packConv3x3(const std::vector<float>& w, int64_t oc, int64_t ic);

// x: [W, H, IC] f32; packed: [IC·9·8, ceil(OC/8)]; bias: [1, 1, OC]. Stride 1: zero padding 1,
// returns [W, H, OC]. Stride 2: zero padding right and bottom only (the reference's downsampling),
// returns [W/2, H/2, OC].
ggml_tensor* conv3x3Cpu(ggml_context* ctx, ggml_tensor* x, ggml_tensor* packed, ggml_tensor* bias, int64_t oc, int stride);

// Winograd F(2x2, 3x3) for the stride-1 convs: 16 multiplies per 2x2 outputs and input channel
// instead of 36, so 2.25x fewer FLOPs than the direct kernel; transforms in f32 (G's halves are
// exact), the error stays at a few ulp of the direct sum (`npm run bench:vqgan` prints it against
// the golden latents).
constexpr int kWinogradTaps = 16;  // the 4x4 transformed tile

// PyTorch [OC, IC, 3, 3] f32 -> G g Gᵀ per (oc, ic), packed [16][ceil(OC/8)][IC][8].
std::vector<float> packWinograd3x3(const std::vector<float>& w, int64_t oc, int64_t ic);

// x: [W, H, IC] f32; packed: [16·IC·8, ceil(OC/8)]; bias: [1, 1, OC]; zero padding 1; [W, H, OC].
ggml_tensor* conv3x3WinogradCpu(ggml_context* ctx, ggml_tensor* x, ggml_tensor* packed, ggml_tensor* bias, int64_t oc);

}  // namespace vqgan
