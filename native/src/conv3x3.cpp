#include "conv3x3.h"

#include <algorithm>
#include <cstring>

namespace vqgan {
namespace {

constexpr int NOC = kConvOcBlock;

// One output row y, output-channel block ob, pixels [x0, x0 + NV·L): accumulators start at the bias
// and sum over k = (ic, ky, kx) input vectors (contiguous in the padded row buffer) times a
// broadcast weight. VT is a GCC vector of L floats; the caller's target attribute picks the ISA.
template <typename VT, int L, int NV>
__attribute__((always_inline)) inline void tile(const float* rows, int64_t wb, int64_t ic, const float* wk, const float* bias,
                                                float* out, int64_t planeStride, int64_t x0, int64_t w, int64_t ocLeft) {
  VT acc[NV][NOC];
  for (int j = 0; j < NOC; ++j)
    for (int v = 0; v < NV; ++v) acc[v][j] = VT{} + bias[j];
  for (int64_t c = 0; c < ic; ++c) {
    for (int ky = 0; ky < 3; ++ky) {
      const float* r = rows + (c * 3 + ky) * wb + x0;
      for (int kx = 0; kx < 3; ++kx, wk += NOC) {
        VT in[NV];
        for (int v = 0; v < NV; ++v) std::memcpy(&in[v], r + kx + v * L, sizeof(VT));
        for (int j = 0; j < NOC; ++j) {
          const float wj = wk[j];
          for (int v = 0; v < NV; ++v) acc[v][j] += in[v] * wj;
        }
      }
    }
  }
  const int64_t n = std::min<int64_t>(NV * L, w - x0);
  const int jn = static_cast<int>(std::min<int64_t>(NOC, ocLeft));
  for (int j = 0; j < jn; ++j) {
    float tmp[NV * L];
    for (int v = 0; v < NV; ++v) std::memcpy(tmp + v * L, &acc[v][j], sizeof(VT));
    std::memcpy(out + j * planeStride + x0, tmp, n * sizeof(float));
  }
}

typedef float v16 __attribute__((vector_size(64)));
typedef float v8 __attribute__((vector_size(32)));
typedef float v4 __attribute__((vector_size(16)));

struct RowJob {
  const float* rows;  // [IC][3][wb] zero-padded input rows y-1, y, y+1
  int64_t wb, ic, w, oc, planeStride;
  const float* packed;
  const float* bias;
  float* out;  // output row y of channel 0
};

template <typename VT, int L, int NV>
__attribute__((always_inline)) inline void rowLoop(const RowJob& j) {
  const int64_t ocb = (j.oc + NOC - 1) / NOC;
  for (int64_t ob = 0; ob < ocb; ++ob) {
    const float* wk = j.packed + ob * j.ic * 9 * NOC;
    float bias[NOC] = {};
    for (int k = 0; k < NOC && ob * NOC + k < j.oc; ++k) bias[k] = j.bias[ob * NOC + k];
    for (int64_t x0 = 0; x0 < j.w; x0 += NV * L) {
      tile<VT, L, NV>(j.rows, j.wb, j.ic, wk, bias, j.out + ob * NOC * j.planeStride, j.planeStride, x0, j.w, j.oc - ob * NOC);
    }
  }
}

__attribute__((target("avx512f"))) void rowAvx512(const RowJob& j) { rowLoop<v16, 16, 2>(j); }
__attribute__((target("avx2,fma"))) void rowAvx2(const RowJob& j) { rowLoop<v8, 8, 1>(j); }
void rowGeneric(const RowJob& j) { rowLoop<v4, 4, 1>(j); }

using RowFn = void (*)(const RowJob&);
struct Kernel {
  RowFn fn;
  int pixels;  // pixels per tile: the padded row buffer is rounded up to it
};

Kernel pickKernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return {rowAvx512, 32};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {rowAvx2, 8};
  return {rowGeneric, 4};
}

void conv3x3Op(ggml_tensor* dst, int ith, int nth, void*) {
  static const Kernel kernel = pickKernel();
  const ggml_tensor* x = dst->src[0];
  const ggml_tensor* packed = dst->src[1];
  const ggml_tensor* bias = dst->src[2];
  const int64_t W = x->ne[0], H = x->ne[1], IC = x->ne[2], OC = dst->ne[2];
  const int64_t wb = (W + kernel.pixels - 1) / kernel.pixels * kernel.pixels + 2;
  thread_local std::vector<float> buf;
  buf.assign(static_cast<size_t>(IC * 3 * wb), 0.f);
  const float* in = static_cast<const float*>(x->data);
  for (int64_t y = ith; y < H; y += nth) {
    // rows y-1..y+1 of every input channel, shifted right by one pixel, zero outside the image
    for (int64_t c = 0; c < IC; ++c) {
      for (int ky = 0; ky < 3; ++ky) {
        float* row = buf.data() + (c * 3 + ky) * wb;
        const int64_t ys = y + ky - 1;
        if (ys < 0 || ys >= H) {
          std::fill(row, row + W + 2, 0.f);
        } else {
          std::memcpy(row + 1, in + (c * H + ys) * W, W * sizeof(float));
        }
      }
    }
    RowJob job{buf.data(), wb, IC, W, OC, H * W, static_cast<const float*>(packed->data), static_cast<const float*>(bias->data),
               static_cast<float*>(dst->data) + y * W};
    kernel.fn(job);
  }
}

}  // namespace

std::vector<float> packConv3x3(const std::vector<float>& w, int64_t oc, int64_t ic) {
  const int64_t ocb = (oc + NOC - 1) / NOC, k9 = ic * 9;
  std::vector<float> out(static_cast<size_t>(ocb * k9 * NOC), 0.f);
  for (int64_t o = 0; o < oc; ++o)
    for (int64_t k = 0; k < k9; ++k) out[((o / NOC) * k9 + k) * NOC + o % NOC] = w[o * k9 + k];
  return out;
}

ggml_tensor* conv3x3Cpu(ggml_context* ctx, ggml_tensor* x, ggml_tensor* packed, ggml_tensor* bias, int64_t oc) {
  ggml_tensor* args[3] = {x, packed, bias};
  return ggml_custom_4d(ctx, GGML_TYPE_F32, x->ne[0], x->ne[1], oc, 1, args, 3, conv3x3Op, GGML_N_TASKS_MAX, nullptr);
}

}  // namespace vqgan
