#include "ggmlBackends.h"

#include <dirent.h>
#include <dlfcn.h>

#include <mutex>

#include "errors.h"

namespace vqgan {
namespace {

using InitFn = ggml_backend_reg_t (*)();
using ScoreFn = int (*)();

std::string dirOf(const std::string& file) {
  auto slash = file.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : file.substr(0, slash);
}

std::string ggmlBaseDir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&ggml_init), &info) == 0 || info.dli_fname == nullptr) {
    throw CodedError("vqgan.backendUnavailable", "cannot locate libggml-base.so");
  }
  return dirOf(info.dli_fname);
}

std::vector<std::string> listMatching(const std::string& dir, const std::string& prefix, const std::string& suffix) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > prefix.size() + suffix.size() && n.compare(0, prefix.size(), prefix) == 0 &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(dir + "/" + n);
    }
  }
  closedir(d);
  return out;
}

CpuBackendInfo loadCpu() {
  CpuBackendInfo info;
  info.baseDir = ggmlBaseDir();
  int bestScore = 0;
  void* bestHandle = nullptr;
  for (const auto& path : listMatching(info.baseDir, "libggml-cpu", ".so")) {
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) continue;
    auto score = reinterpret_cast<ScoreFn>(dlsym(h, "ggml_backend_score"));
    // the score function only checks CPU features, it never runs unsupported instructions
    int s = score ? score() : 1;
    if (s > bestScore) {
      if (bestHandle) dlclose(bestHandle);
      bestHandle = h;
      bestScore = s;
      info.variantPath = path;
    } else {
      dlclose(h);
    }
  }
  if (!bestHandle) {
    throw CodedError("vqgan.backendUnavailable", "no usable ggml CPU backend in " + info.baseDir);
  }
  auto init = reinterpret_cast<InitFn>(dlsym(bestHandle, "ggml_backend_init"));
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
  static const char* kLibs[] = {"libggml-cuda.so", "libggml-vulkan.so", "libggml-metal.so"};
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  for (const auto& dir : dirs) {
    for (const char* lib : kLibs) {
      std::string path = dir + "/" + lib;
      void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!h) {
        const char* err = dlerror();
        if (err && std::string(err).find("No such file") == std::string::npos) why += std::string(err) + "; ";
        continue;
      }
      auto init = reinterpret_cast<InitFn>(dlsym(h, "ggml_backend_init"));
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
