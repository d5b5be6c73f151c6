#include "conv3x3.h"

#include <algorithm>
#include <cstring>

namespace vqgan {
namespace {

constexpr int NOC = kConvOcBlock;

// One output row, output-channel block, pixels [x0, x0 + NV·L): accumulators start at the bias and
// sum over k = (ic, ky, kx) input vectors (contiguous in the padded band buffer) times a broadcast
// weight. `rows` points at the first input row this output row reads, in channel 0; kernel row ky
// adds ky·kyStride, a channel adds chanStride, and tap kx starts kxOff[kx] floats in. VT is a GCC
// vector of L floats; the caller's target attribute picks the instruction set.
template <typename VT, int L, int NV>
__attribute__((always_inline)) inline void tile(const float* rows, int64_t kyStride, const int64_t* kxOff, int64_t chanStride, int64_t ic,
                                                const float* wk, const float* bias, float* out, int64_t planeStride, int64_t x0, int64_t w,
                                                int64_t ocLeft) {
  VT acc[NV][NOC];
  for (int j = 0; j < NOC; ++j)
    for (int v = 0; v < NV; ++v) acc[v][j] = VT{} + bias[j];
  for (int64_t c = 0; c < ic; ++c) {
    for (int ky = 0; ky < 3; ++ky) {
      const float* r = rows + c * chanStride + ky * kyStride + x0;
      for (int kx = 0; kx < 3; ++kx, wk += NOC) {
        VT in[NV];
        for (int v = 0; v < NV; ++v) std::memcpy(&in[v], r + kxOff[kx] + v * L, sizeof(VT));
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

// A band of output rows [y0, y0 + rows) for all output channels.
struct BandJob {
  const float* buf;  // [IC][band input rows][rowLen], see conv3x3Op
  int64_t rowLen, bandRows, rowStep, ic, w, oc, rows, planeStride;
  int64_t kxOff[3];
  const float* packed;
  const float* bias;
  float* out;  // output row y0 of channel 0
};

template <typename VT, int L, int NV>
__attribute__((always_inline)) inline void bandLoop(const BandJob& j) {
  const int64_t ocb = (j.oc + NOC - 1) / NOC, chanStride = j.bandRows * j.rowLen;
  // weight block outermost: it is reused for every pixel of the band while it sits in cache
  for (int64_t ob = 0; ob < ocb; ++ob) {
    const float* wk = j.packed + ob * j.ic * 9 * NOC;
    float bias[NOC] = {};
    for (int k = 0; k < NOC && ob * NOC + k < j.oc; ++k) bias[k] = j.bias[ob * NOC + k];
    for (int64_t r = 0; r < j.rows; ++r) {
      for (int64_t x0 = 0; x0 < j.w; x0 += NV * L) {
        tile<VT, L, NV>(j.buf + r * j.rowStep * j.rowLen, j.rowLen, j.kxOff, chanStride, j.ic, wk, bias, j.out + ob * NOC * j.planeStride + r * j.w,
                        j.planeStride, x0, j.w, j.oc - ob * NOC);
      }
    }
  }
}

__attribute__((target("avx512f"))) void bandAvx512(const BandJob& j) { bandLoop<v16, 16, 2>(j); }
__attribute__((target("avx2,fma"))) void bandAvx2(const BandJob& j) { bandLoop<v8, 8, 1>(j); }
void bandGeneric(const BandJob& j) { bandLoop<v4, 4, 1>(j); }

using BandFn = void (*)(const BandJob&);
struct Kernel {
  BandFn fn;
  int pixels;  // pixels per tile: the padded row buffer is rounded up to it
};

Kernel pickKernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return {bandAvx512, 32};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {bandAvx2, 8};
  return {bandGeneric, 4};
}

// userdata = stride. Stride 1: zero padding 1 all round; each band input row holds the input
// row shifted right by one pixel (taps kx at +0, +1, +2). Stride 2 (the encoder's downsampling):
// zero padding on the right and bottom only; each band input row is de-interleaved into even
// columns then odd columns, so the taps of output pixel x (input columns 2x, 2x+1, 2x+2) are
// even[x], odd[x], even[x+1]: contiguous vector loads again.
void conv3x3Op(ggml_tensor* dst, int ith, int nth, void* userdata) {
  static const Kernel kernel = pickKernel();
  const ggml_tensor* x = dst->src[0];
  const ggml_tensor* packed = dst->src[1];
  const ggml_tensor* bias = dst->src[2];
  const int stride = reinterpret_cast<intptr_t>(userdata) == 2 ? 2 : 1;
  const int64_t W = x->ne[0], H = x->ne[1], IC = x->ne[2], OW = dst->ne[0], OH = dst->ne[1], OC = dst->ne[2];
  const int64_t tiled = (OW + kernel.pixels - 1) / kernel.pixels * kernel.pixels;  // tiles may read past OW
  const int64_t half = tiled + 1;
  const int64_t rowLen = stride == 1 ? tiled + 2 : 2 * half;
  // bands of output rows, dealt round-robin to the threads; a band's input buffer stays around 2 MB
  // so it lives in cache while every weight block passes over it
  const int64_t rowBytes = IC * rowLen * static_cast<int64_t>(sizeof(float)) * stride;
  const int64_t fit = std::max<int64_t>(1, (int64_t{2} << 20) / rowBytes - 2);
  const int64_t R = std::max<int64_t>(1, std::min<int64_t>((OH + nth - 1) / nth, fit));
  thread_local std::vector<float> buf;
  const float* in = static_cast<const float*>(x->data);
  for (int64_t y0 = ith * R; y0 < OH; y0 += nth * R) {
    const int64_t rows = std::min(R, OH - y0);
    const int64_t bandRows = stride == 1 ? rows + 2 : 2 * rows + 1;
    const int64_t firstRow = stride == 1 ? y0 - 1 : 2 * y0;
    buf.assign(static_cast<size_t>(IC * bandRows * rowLen), 0.f);
    for (int64_t c = 0; c < IC; ++c) {
      for (int64_t r = 0; r < bandRows; ++r) {
        const int64_t ys = firstRow + r;
        if (ys < 0 || ys >= H) continue;  // zero padding
        float* row = buf.data() + (c * bandRows + r) * rowLen;
        const float* src = in + (c * H + ys) * W;
        if (stride == 1) {
          std::memcpy(row + 1, src, W * sizeof(float));
        } else {
          for (int64_t i = 0; 2 * i < W; ++i) row[i] = src[2 * i];
          for (int64_t i = 0; 2 * i + 1 < W; ++i) row[half + i] = src[2 * i + 1];
        }
      }
    }
    BandJob job{buf.data(), rowLen, bandRows, stride, IC, OW, OC, rows, OH * OW, {0, 1, 2}, static_cast<const float*>(packed->data),
                static_cast<const float*>(bias->data), static_cast<float*>(dst->data) + y0 * OW};
    if (stride == 2) {
      job.kxOff[1] = half;
      job.kxOff[2] = 1;
    }
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

ggml_tensor* conv3x3Cpu(ggml_context* ctx, ggml_tensor* x, ggml_tensor* packed, ggml_tensor* bias, int64_t oc, int stride) {
  ggml_tensor* args[3] = {x, packed, bias};
  // stride 2 pads right/bottom only: out = (in + 1 - 3) / 2 + 1
  const int64_t ow = stride == 1 ? x->ne[0] : (x->ne[0] - 2) / 2 + 1, oh = stride == 1 ? x->ne[1] : (x->ne[1] - 2) / 2 + 1;
  return ggml_custom_4d(ctx, GGML_TYPE_F32, ow, oh, oc, 1, args, 3, conv3x3Op, GGML_N_TASKS_MAX,
                        reinterpret_cast<void*>(static_cast<intptr_t>(stride)));
}

}  // namespace vqgan
