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

// ---- Winograd F(2x2, 3x3) (Lavin & Gray 2016) ----------------------------------------------------
// Per chunk of 2x2 output tiles: V = Bᵀ d B for every input channel, then for each of the 16 taps
// one GEMM M[oc][tile] = Σ_ic U[oc][ic] · V[ic][tile] with the same register tile as the direct
// kernel (K = IC instead of IC·9), then Y = Aᵀ M A plus the bias. A chunk's V and M stay in L2/L3.
namespace vqgan {
namespace {

struct WinoJob {
  const float* v;  // [16][IC][nt]
  const float* u;  // [16][ocb][IC][8]
  float* m;        // [16][ocb·8][nt]
  int64_t nt, ic, ocb;
};

template <typename VT, int L, int NV>
__attribute__((always_inline)) inline void winoGemm(const WinoJob& j) {
  for (int xi = 0; xi < kWinogradTaps; ++xi) {
    const float* v = j.v + xi * j.ic * j.nt;
    for (int64_t ob = 0; ob < j.ocb; ++ob) {
      const float* u = j.u + (xi * j.ocb + ob) * j.ic * NOC;
      float* m = j.m + (xi * j.ocb + ob) * NOC * j.nt;
      for (int64_t t0 = 0; t0 < j.nt; t0 += NV * L) {
        VT acc[NV][NOC];
        for (int k = 0; k < NOC; ++k)
          for (int q = 0; q < NV; ++q) acc[q][k] = VT{};
        const float* vc = v + t0;
        const float* uc = u;
        for (int64_t c = 0; c < j.ic; ++c, vc += j.nt, uc += NOC) {
          VT in[NV];
          for (int q = 0; q < NV; ++q) std::memcpy(&in[q], vc + q * L, sizeof(VT));
          for (int k = 0; k < NOC; ++k) {
            const float wk = uc[k];
            for (int q = 0; q < NV; ++q) acc[q][k] += in[q] * wk;
          }
        }
        for (int k = 0; k < NOC; ++k)
          for (int q = 0; q < NV; ++q) std::memcpy(m + k * j.nt + t0 + q * L, &acc[q][k], sizeof(VT));
      }
    }
  }
}

constexpr int64_t kWinoLanes = 32;  // GEMM columns per register tile, for every instruction set
constexpr int64_t kWinoChunk = 128;  // tiles per chunk: V and M of a 512-channel layer are 4 MB each

// Bᵀ d B of the 4x4 input tiles of tile row ty, tiles [tx0, tx1), channel c, into v[xi·ic·nt + l].
// `even`/`odd` hold the zero-padded input rows 2ty-1 … 2ty+2 split into even and odd padded columns,
// so tile tx reads even[tx], odd[tx], even[tx+1], odd[tx+1]: plain loops the compiler vectorises.
__attribute__((always_inline)) inline void inputTransform(const float* const even[4], const float* const odd[4], int64_t tx0, int64_t tx1, float* __restrict__ v, int64_t tapStride) {
  const float* __restrict__ e0 = even[0];
  const float* __restrict__ e1 = even[1];
  const float* __restrict__ e2 = even[2];
  const float* __restrict__ e3 = even[3];
  const float* __restrict__ o0 = odd[0];
  const float* __restrict__ o1 = odd[1];
  const float* __restrict__ o2 = odd[2];
  const float* __restrict__ o3 = odd[3];
#pragma GCC ivdep
  for (int64_t tx = tx0; tx < tx1; ++tx) {
    float t[4][4];
    for (int k = 0; k < 4; ++k) {
      const int64_t at = tx + (k >> 1);
      const float d0 = (k & 1) ? o0[at] : e0[at];
      const float d1 = (k & 1) ? o1[at] : e1[at];
      const float d2 = (k & 1) ? o2[at] : e2[at];
      const float d3 = (k & 1) ? o3[at] : e3[at];
      t[0][k] = d0 - d2;
      t[1][k] = d1 + d2;
      t[2][k] = d2 - d1;
      t[3][k] = d1 - d3;
    }
    float* o = v + (tx - tx0);
    for (int i = 0; i < 4; ++i) {
      o[(4 * i + 0) * tapStride] = t[i][0] - t[i][2];
      o[(4 * i + 1) * tapStride] = t[i][1] + t[i][2];
      o[(4 * i + 2) * tapStride] = t[i][2] - t[i][1];
      o[(4 * i + 3) * tapStride] = t[i][1] - t[i][3];
    }
  }
}

// The whole op is compiled once per instruction set, so the transforms vectorise as wide as the GEMM.
template <typename VT, int L, int NV>
__attribute__((always_inline)) inline void winoBody(ggml_tensor* dst, int ith, int nth) {
  const ggml_tensor* x = dst->src[0];
  const float* u = static_cast<const float*>(dst->src[1]->data);
  const float* bias = static_cast<const float*>(dst->src[2]->data);
  const float* in = static_cast<const float*>(x->data);
  float* out = static_cast<float*>(dst->data);
  const int64_t W = x->ne[0], H = x->ne[1], IC = x->ne[2], OC = dst->ne[2];
  const int64_t TW = (W + 1) / 2, TH = (H + 1) / 2, T = TW * TH, ocb = (OC + NOC - 1) / NOC;
  // chunks small enough that every thread gets one on the small late layers
  const int64_t perThread = ((T + nth - 1) / nth + kWinoLanes - 1) / kWinoLanes * kWinoLanes;
  const int64_t nt = std::max<int64_t>(kWinoLanes, std::min<int64_t>(kWinoChunk, perThread));
  thread_local std::vector<float> vbuf, mbuf, rows, ybuf;
  // contents past a partial last chunk are left from earlier chunks: finite, computed, never stored
  vbuf.resize(static_cast<size_t>(kWinogradTaps * IC * nt));
  mbuf.resize(static_cast<size_t>(kWinogradTaps * ocb * NOC * nt));
  rows.resize(static_cast<size_t>(8 * (TW + 1)));
  ybuf.resize(static_cast<size_t>(4 * nt));
  for (int64_t t0 = ith * nt; t0 < T; t0 += nth * nt) {
    const int64_t t1 = std::min(T, t0 + nt);
    // input transform, one tile-row segment at a time
    for (int64_t c = 0; c < IC; ++c) {
      for (int64_t t = t0; t < t1;) {
        const int64_t ty = t / TW, tx0 = t % TW, tx1 = std::min(TW, tx0 + (t1 - t));
        const float* even[4];
        const float* odd[4];
        for (int r = 0; r < 4; ++r) {
          float* e = rows.data() + (2 * r) * (TW + 1);
          float* o = rows.data() + (2 * r + 1) * (TW + 1);
          const int64_t y = 2 * ty - 1 + r;
          // padded column p is input column p-1: even[i] = column 2i-1, odd[i] = column 2i
          if (y < 0 || y >= H) {
            std::fill(e + tx0, e + tx1 + 1, 0.f);
            std::fill(o + tx0, o + tx1 + 1, 0.f);
          } else {
            const float* __restrict__ src = in + (c * H + y) * W;
            auto edge = [&](int64_t i) {
              e[i] = i >= 1 && 2 * i - 1 < W ? src[2 * i - 1] : 0.f;
              o[i] = 2 * i < W ? src[2 * i] : 0.f;
            };
            // the interior without bounds tests, so it vectorises (a stride-2 split of the row)
            const int64_t a = std::max<int64_t>(tx0, 1), b = std::min<int64_t>(tx1, (W - 1) / 2);
            float* __restrict__ ev = e;
            float* __restrict__ ov = o;
            for (int64_t i = tx0; i < std::min(a, tx1 + 1); ++i) edge(i);
            for (int64_t i = a; i <= b; ++i) {
              ev[i] = src[2 * i - 1];
              ov[i] = src[2 * i];
            }
            for (int64_t i = std::max(a, b + 1); i <= tx1; ++i) edge(i);
          }
          even[r] = e;
          odd[r] = o;
        }
        inputTransform(even, odd, tx0, tx1, vbuf.data() + c * nt + (t - t0), IC * nt);
        t += tx1 - tx0;
      }
    }
    winoGemm<VT, L, NV>(WinoJob{vbuf.data(), u, mbuf.data(), nt, IC, ocb});
    // output transform Aᵀ M A + bias: a vectorisable pass per tile-row segment into ybuf, then the
    // 2x2 pixels are interleaved into the output rows
    const int64_t tapStride = ocb * NOC * nt;
    for (int64_t o = 0; o < OC; ++o) {
      const float b = bias[o];
      for (int64_t t = t0; t < t1;) {
        const int64_t ty = t / TW, tx0 = t % TW, n = std::min(TW - tx0, t1 - t), l0 = t - t0;
        const float* __restrict__ m = mbuf.data() + o * nt + l0;
        float* __restrict__ y00 = ybuf.data();
        float* __restrict__ y01 = y00 + nt;
        float* __restrict__ y10 = y01 + nt;
        float* __restrict__ y11 = y10 + nt;
#pragma GCC ivdep
        for (int64_t l = 0; l < n; ++l) {
          float s0[4], s1[4];
          for (int k = 0; k < 4; ++k) {
            const float m0 = m[(0 + k) * tapStride + l], m1 = m[(4 + k) * tapStride + l], m2 = m[(8 + k) * tapStride + l], m3 = m[(12 + k) * tapStride + l];
            s0[k] = m0 + m1 + m2;
            s1[k] = m1 - m2 - m3;
          }
          y00[l] = b + (s0[0] + s0[1] + s0[2]);
          y01[l] = b + (s0[1] - s0[2] - s0[3]);
          y10[l] = b + (s1[0] + s1[1] + s1[2]);
          y11[l] = b + (s1[1] - s1[2] - s1[3]);
        }
        for (int r = 0; r < 2; ++r) {
          const int64_t y = 2 * ty + r;
          if (y >= H) continue;
          const float* a = r == 0 ? y00 : y10;
          const float* c2 = r == 0 ? y01 : y11;
          float* row = out + (o * H + y) * W + 2 * tx0;
          const int64_t pairs = std::min(n, (W - 2 * tx0) / 2);
          for (int64_t l = 0; l < pairs; ++l) {
            row[2 * l] = a[l];
            row[2 * l + 1] = c2[l];
          }
          if (pairs < n) row[2 * pairs] = a[pairs];  // odd W: the last tile's right column is outside
        }
        t += n;
      }
    }
  }
}

__attribute__((target("avx512f"))) void winoAvx512(ggml_tensor* dst, int ith, int nth) { winoBody<v16, 16, 2>(dst, ith, nth); }
__attribute__((target("avx2,fma"))) void winoAvx2(ggml_tensor* dst, int ith, int nth) { winoBody<v8, 8, 1>(dst, ith, nth); }
void winoGeneric(ggml_tensor* dst, int ith, int nth) { winoBody<v4, 4, 1>(dst, ith, nth); }

using WinoFn = void (*)(ggml_tensor*, int, int);
WinoFn pickWino() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return winoAvx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return winoAvx2;
  return winoGeneric;
}

void winogradOp(ggml_tensor* dst, int ith, int nth, void*) {
  static const WinoFn run = pickWino();
  run(dst, ith, nth);
}

}  // namespace

std::vector<float> packWinograd3x3(const std::vector<float>& w, int64_t oc, int64_t ic) {
  const int64_t ocb = (oc + NOC - 1) / NOC;
  std::vector<float> out(static_cast<size_t>(kWinogradTaps * ocb * ic * NOC), 0.f);
  for (int64_t o = 0; o < oc; ++o) {
    for (int64_t c = 0; c < ic; ++c) {
      const float* g = w.data() + (o * ic + c) * 9;
      double gg[4][3];  // G g, in double so U carries one rounding
      for (int b = 0; b < 3; ++b) {
        gg[0][b] = g[b];
        gg[1][b] = 0.5 * (static_cast<double>(g[b]) + g[3 + b] + g[6 + b]);
        gg[2][b] = 0.5 * (static_cast<double>(g[b]) - g[3 + b] + g[6 + b]);
        gg[3][b] = g[6 + b];
      }
      for (int i = 0; i < 4; ++i) {
        const double uRow[4] = {gg[i][0], 0.5 * (gg[i][0] + gg[i][1] + gg[i][2]), 0.5 * (gg[i][0] - gg[i][1] + gg[i][2]), gg[i][2]};
        for (int k = 0; k < 4; ++k) out[(((4 * i + k) * ocb + o / NOC) * ic + c) * NOC + o % NOC] = static_cast<float>(uRow[k]);
      }
    }
  }
  return out;
}

ggml_tensor* conv3x3WinogradCpu(ggml_context* ctx, ggml_tensor* x, ggml_tensor* packed, ggml_tensor* bias, int64_t oc) {
  ggml_tensor* args[3] = {x, packed, bias};
  return ggml_custom_4d(ctx, GGML_TYPE_F32, x->ne[0], x->ne[1], oc, 1, args, 3, winogradOp, GGML_N_TASKS_MAX, nullptr);
}

}  // namespace vqgan
