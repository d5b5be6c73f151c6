// CPU GroupNorm with the affine transform fused in (a ggml custom op): one write pass instead of
// ggml's group_norm + mul + add, which the decoder runs 36 times at up to 512²×128.
#pragma once
#include "ggmlApi.h"

namespace vqgan {

// x: [W, H, C] f32 (channels-first, so a group's values are contiguous); gamma, beta: [1, 1, C].
ggml_tensor* groupNormAffineCpu(ggml_context* ctx, ggml_tensor* x, ggml_tensor* gamma, ggml_tensor* beta, int groups, float eps);

}  // namespace vqgan
