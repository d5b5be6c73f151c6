// Finds and loads ggml backends from node-llama-cpp's prebuilt libraries: the best CPU variant that
// sits next to the libggml-base loadGgml() opened, and optionally a GPU backend (CUDA / Vulkan /
// Metal) from the GPU bins folders the caller passes. We load the backend libraries ourselves
// (dynlib::open + ggml_backend_init) rather than through libggml's registry so the addon only
// depends on libggml-base, which is identical across node-llama-cpp's CPU/CUDA/Vulkan builds.
#pragma once
#include <string>
#include <vector>

#include "ggmlApi.h"

namespace vqgan {

struct CpuBackendInfo {
  ggml_backend_reg_t reg = nullptr;
  std::string variantPath;  // the libggml-cpu-* library that was chosen
  std::string baseDir;      // folder holding the libggml-base in use
};

// Loads (once per process) and returns the best CPU backend variant for this machine.
const CpuBackendInfo& cpuBackend();

// Tries the GPU backend libraries in `dirs`; returns a backend for the first GPU device found, or
// nullptr with `why` describing what was tried.
ggml_backend_t initGpuBackend(const std::vector<std::string>& dirs, std::string& name, std::string& why);

// CPU-backend helpers, resolved through the registry's proc-address table (the functions live in
// the dynamically loaded variant library).
void cpuSetThreads(ggml_backend_t backend, int threads);
void cpuSetAbortCallback(ggml_backend_t backend, ggml_abort_callback cb, void* data);

}  // namespace vqgan
