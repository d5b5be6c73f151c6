#define VQGAN_GGML_NO_REDIRECT
#include "ggmlApi.h"

#include <mutex>

#include "dynLib.h"
#include "errors.h"

namespace vqgan {

GgmlApi ggmlApi;

namespace {
std::mutex loadMutex;
std::string loadedDir;  // non-empty once the table is complete
}  // namespace

void loadGgml(const std::string& dir) {
  std::lock_guard<std::mutex> lock(loadMutex);
  if (!loadedDir.empty()) return;
  const std::string name = dynlib::baseLibraryName();
  void* lib = dynlib::openLoaded(name);
  if (!lib) {
    std::string error;
    lib = dynlib::open(dir + "/" + name, error);
    if (!lib) throw CodedError("vqgan.backendUnavailable", "cannot load ggml: " + error);
  }
  GgmlApi table;
  std::string missing;
  // the library stays loaded for the life of the process, like ggml's own backend registry
#define VQGAN_GGML_RESOLVE(name)                                                         \
  table.name = reinterpret_cast<decltype(table.name)>(dynlib::symbol(lib, #name)); \
  if (!table.name) missing += std::string(missing.empty() ? "" : ", ") + #name;
  VQGAN_GGML_FUNCTIONS(VQGAN_GGML_RESOLVE)
#undef VQGAN_GGML_RESOLVE
  if (!missing.empty()) {
    dynlib::close(lib);
    throw CodedError("vqgan.backendUnavailable", "the ggml in " + dir + " lacks " + missing);
  }
  std::string file = dynlib::pathOf(lib, reinterpret_cast<void*>(table.ggml_init));
  auto slash = file.find_last_of("/\\");
  ggmlApi = table;
  loadedDir = slash == std::string::npos ? dir : file.substr(0, slash);
}

const std::string& ggmlDir() {
  std::lock_guard<std::mutex> lock(loadMutex);
  if (loadedDir.empty()) throw CodedError("vqgan.backendUnavailable", "ggml has not been loaded (the addon's init was not called)");
  return loadedDir;
}

}  // namespace vqgan
