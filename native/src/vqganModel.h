// The taming-transformers VQGAN (Chameleon's image tokenizer) as ggml graphs. The architecture
// comes from the caller (inferred from the weights by the TypeScript side); nothing about the
// network's size is hard-coded here. Weights are upcast to f32 on load: the reference computes in
// f32 on the (possibly f16-stored) values, and f16 matmuls would round the activations.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "ggmlApi.h"

namespace vqgan {

inline constexpr int kGroups = 32;        // GroupNorm groups, fixed by the reference
inline constexpr float kNormEps = 1e-6f;  // GroupNorm eps
inline constexpr size_t kGraphSize = 8192;

struct Architecture {
  int resolution = 0, inChannels = 3, outCh = 3, ch = 0;
  std::vector<int> chMult;
  int numResBlocks = 0;
  std::vector<int> attnResolutions;
  int zChannels = 0, embedDim = 0, nEmbed = 0;
  bool hasEncoder = true, hasDecoder = true;
  int levels() const { return static_cast<int>(chMult.size()); }
  int gridSize() const { return resolution >> (levels() - 1); }
  bool attnAt(int res) const;
};

enum class DType { F32, F16, BF16 };

struct HostTensor {
  std::string name;
  std::vector<int64_t> shape;  // PyTorch order, e.g. [out, in, kh, kw]
  DType dtype = DType::F32;
  std::vector<uint8_t> data;
};

struct LoadOptions {
  std::string backend = "auto";  // auto | cpu | gpu
  int threads = 1;
  std::vector<std::string> gpuDirs;
};

// Per-job hooks: progress per stage and a cancellation flag polled between stages (and between
// graph nodes on the CPU backend).
struct JobControl {
  std::shared_ptr<std::atomic<bool>> cancelled;
  std::function<void(const std::string& stage, int done, int total)> progress;
};

struct EncodeResult {
  std::vector<int32_t> codes;
  std::vector<float> margins, prequant, encOut;
  int rows = 0, cols = 0;
  double encodeMs = 0, quantizeMs = 0;
};

struct DecodeResult {
  std::vector<float> pixels, postQuant;
  double decodeMs = 0;
};

class Model {
 public:
  Model(const Architecture& arch, std::vector<HostTensor>& tensors, const LoadOptions& opts);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& backendName() const { return backendName_; }
  EncodeResult encode(const std::vector<float>& pixels, bool debug, const JobControl& job);
  DecodeResult decode(const std::vector<int32_t>& codes, bool debug, const JobControl& job);

 private:
  struct Spec {
    std::string name;
    std::vector<int64_t> shape;  // PyTorch order
    bool packed3x3 = false;    // 3x3 conv weight on the CPU, packed for conv3x3Cpu or conv3x3WinogradCpu
  };

  void release();
  std::vector<Spec> expectedTensors() const;
  static bool winogradFor(const std::string& weightName);
  void uploadWeights(std::vector<HostTensor>& tensors);
  ggml_tensor* w(const std::string& name) const;

  // graph pieces; `x` is [W, H, C, 1]
  ggml_tensor* conv(ggml_context* ctx, ggml_tensor* x, const std::string& prefix, int stride, int pad) const;
  ggml_tensor* downsample(ggml_context* ctx, ggml_tensor* x, const std::string& prefix) const;
  ggml_tensor* norm(ggml_context* ctx, ggml_tensor* x, const std::string& prefix) const;
  ggml_tensor* resBlock(ggml_context* ctx, ggml_tensor* x, const std::string& prefix, int in, int out) const;
  ggml_tensor* attnBlock(ggml_context* ctx, ggml_tensor* x, const std::string& prefix) const;

  // runs `graph`; returns each stage's finish time in ms since the compute started
  std::vector<double> run(ggml_context* ctx, ggml_cgraph* graph, const std::vector<std::pair<ggml_tensor*, std::string>>& stages,
                          const JobControl& job, const std::function<void()>& setInputs);

  Architecture arch_;
  std::string backendName_;
  bool cpuConv_ = false;  // CPU backend: 3x3 convs and GroupNorm by our own kernels (conv3x3.h, groupNorm.h)
  ggml_backend_t primary_ = nullptr;
  ggml_backend_t cpu_ = nullptr;
  ggml_context* wctx_ = nullptr;
  ggml_backend_buffer_t wbuf_ = nullptr;
  ggml_backend_sched_t sched_ = nullptr;
  std::map<std::string, ggml_tensor*> weights_;
  std::set<std::string> packed3x3_;  // conv weights packed for conv3x3Cpu
  std::set<std::string> winograd3x3_;  // conv weights transformed for conv3x3WinogradCpu
  std::vector<float> codebookSq_;  // |e|² per code
  std::mutex mutex_;
};

}  // namespace vqgan
