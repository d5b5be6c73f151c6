#include "ggmlBackends.h"

#include <cctype>
#include <filesystem>
#include <mutex>

#include "dynLib.h"
#include "errors.h"

namespace vqgan {
namespace {

using InitFn = ggml_backend_reg_t (*)();
using ScoreFn = int (*)();

CpuBackendInfo loadCpu() {
  CpuBackendInfo info;
  info.baseDir = ggmlDir();
  int bestScore = 0;
  void* bestHandle = nullptr;
  std::string errors;
  for (const auto& path : dynlib::listBackendVariants(info.baseDir, "cpu")) {
    std::string error;
    void* h = dynlib::open(path, error);
    if (!h) {
      errors += "; " + error;
      continue;
    }
    auto score = reinterpret_cast<ScoreFn>(dynlib::symbol(h, "ggml_backend_score"));
    // the score function only checks CPU features, it never runs unsupported instructions
    int s = score ? score() : 1;
    if (s > bestScore) {
      if (bestHandle) dynlib::close(bestHandle);
      bestHandle = h;
      bestScore = s;
      info.variantPath = path;
    } else {
      dynlib::close(h);
    }
  }
  if (!bestHandle) {
    throw CodedError("vqgan.backendUnavailable", "no usable ggml CPU backend in " + info.baseDir + errors);
  }
  auto init = reinterpret_cast<InitFn>(dynlib::symbol(bestHandle, "ggml_backend_init"));
  info.reg = init ? init() : nullptr;
  if (!info.reg) {
    throw CodedError("vqgan.backendUnavailable", "ggml CPU backend failed to initialise: " + info.variantPath);
  }
  // the handle stays open for the life of the process, like ggml's own registry
  return info;
}

}  // namespace

const CpuBackendInfo& cpuBackend() {
  static std::once_flag once;
  static CpuBackendInfo info;
  static std::string error;
  // before init(), report that (and try again later) instead of remembering the failure
  ggmlDir();
  std::call_once(once, [] {
    try {
      info = loadCpu();
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  if (!info.reg) throw CodedError("vqgan.backendUnavailable", error.empty() ? "ggml CPU backend unavailable" : error);
  return info;
}

ggml_backend_t initGpuBackend(const std::vector<std::string>& dirs, std::string& name, std::string& why) {
  static const char* kBackends[] = {"cuda", "vulkan", "metal"};
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  for (const auto& dir : dirs) {
    for (const char* backendName : kBackends) {
      std::string path = dir + "/" + dynlib::backendLibraryName(backendName);
      std::error_code ec;
      if (!std::filesystem::exists(std::filesystem::u8path(path), ec)) continue;
      std::string error;
      void* h = dynlib::open(path, error);
      if (!h) {
        why += error + "; ";
        continue;
      }
      auto init = reinterpret_cast<InitFn>(dynlib::symbol(h, "ggml_backend_init"));
      ggml_backend_reg_t reg = init ? init() : nullptr;
      if (!reg) {
        why += path + ": init failed; ";
        continue;
      }
      for (size_t i = 0; i < ggml_backend_reg_dev_count(reg); ++i) {
        ggml_backend_dev_t dev = ggml_backend_reg_dev_get(reg, i);
        auto type = ggml_backend_dev_type(dev);
        if (type != GGML_BACKEND_DEVICE_TYPE_GPU && type != GGML_BACKEND_DEVICE_TYPE_IGPU) continue;
        ggml_backend_t backend = ggml_backend_dev_init(dev, nullptr);
        if (!backend) continue;
        std::string regName = ggml_backend_reg_name(reg);
        for (auto& c : regName) c = static_cast<char>(tolower(c));
        name = regName + ":" + ggml_backend_dev_description(dev);
        return backend;
      }
      why += path + ": no GPU device; ";
    }
  }
  if (why.empty()) why = "no GPU backend library found";
  return nullptr;
}

void cpuSetThreads(ggml_backend_t backend, int threads) {
  auto fn = reinterpret_cast<ggml_backend_set_n_threads_t>(
      ggml_backend_reg_get_proc_address(cpuBackend().reg, "ggml_backend_set_n_threads"));
  if (fn) fn(backend, threads);
}

void cpuSetAbortCallback(ggml_backend_t backend, ggml_abort_callback cb, void* data) {
  auto fn = reinterpret_cast<ggml_backend_set_abort_callback_t>(ggml_backend_reg_get_proc_address(cpuBackend().reg, "ggml_backend_set_abort_callback"));
  if (fn) fn(backend, cb, data);
}

}  // namespace vqgan
