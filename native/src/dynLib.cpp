#include "dynLib.h"

#include <filesystem>
#include <system_error>

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace vqgan::dynlib {
namespace {

#ifdef _WIN32
constexpr const char* kPrefix = "";
constexpr const char* kModuleSuffix = ".dll";
constexpr const char* kBaseSuffix = ".dll";
#elif defined(__APPLE__)
// node-llama-cpp's macOS builds: libggml-base.dylib, but the backends are .so modules
constexpr const char* kPrefix = "lib";
constexpr const char* kModuleSuffix = ".so";
constexpr const char* kBaseSuffix = ".dylib";
#else
constexpr const char* kPrefix = "lib";
constexpr const char* kModuleSuffix = ".so";
constexpr const char* kBaseSuffix = ".so";
#endif

#ifdef _WIN32
std::wstring widen(const std::string& s) {
  if (s.empty()) return {};
  int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  std::wstring w(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), w.data(), n);
  return w;
}

std::string lastErrorText() {
  DWORD code = GetLastError();
  char buf[512] = {0};
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, code, 0, buf, sizeof buf, nullptr);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) buf[--n] = '\0';
  return "error " + std::to_string(code) + (n > 0 ? ": " + std::string(buf) : std::string());
}
#endif

}  // namespace

std::string baseLibraryName() { return std::string(kPrefix) + "ggml-base" + kBaseSuffix; }

std::string backendLibraryName(const std::string& backend) { return std::string(kPrefix) + "ggml-" + backend + kModuleSuffix; }

std::vector<std::string> listBackendVariants(const std::string& dir, const std::string& backend) {
  const std::string prefix = std::string(kPrefix) + "ggml-" + backend;
  const std::string suffix = kModuleSuffix;
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::u8path(dir), ec)) {
    std::string n = entry.path().filename().u8string();
    if (n.size() > prefix.size() + suffix.size() && n.compare(0, prefix.size(), prefix) == 0 &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(entry.path().u8string());
    }
  }
  return out;
}

void* open(const std::string& path, std::string& error) {
#ifdef _WIN32
  // LOAD_WITH_ALTERED_SEARCH_PATH: a backend's own import of ggml-base.dll is resolved from the
  // backend's folder (and Windows reuses the ggml-base.dll already loaded under that name).
  HMODULE h = LoadLibraryExW(widen(path).c_str(), nullptr, LOAD_WITH_ALTERED_SEARCH_PATH);
  if (!h) error = path + ": " + lastErrorText();
  return reinterpret_cast<void*>(h);
#else
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    error = e ? e : path + ": cannot open";
  }
  return h;
#endif
}

void* openLoaded(const std::string& fileName) {
#ifdef _WIN32
  HMODULE h = nullptr;
  // pins it, like the library opened by path, for the life of the process
  if (!GetModuleHandleExW(0, widen(fileName).c_str(), &h)) return nullptr;
  return reinterpret_cast<void*>(h);
#else
  // a bare name with RTLD_NOLOAD matches a loaded library's soname (glibc) or install name leaf
  return dlopen(fileName.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
#endif
}

std::string pathOf(void* handle, void* anySymbol) {
#ifdef _WIN32
  std::wstring buf(32768, L'\0');
  DWORD n = GetModuleFileNameW(reinterpret_cast<HMODULE>(handle), buf.data(), static_cast<DWORD>(buf.size()));
  buf.resize(n);
  return std::filesystem::path(buf).u8string();
#else
  Dl_info info{};
  if (dladdr(anySymbol, &info) == 0 || info.dli_fname == nullptr) return {};
  return info.dli_fname;
#endif
}

void* symbol(void* handle, const char* name) {
#ifdef _WIN32
  return reinterpret_cast<void*>(GetProcAddress(reinterpret_cast<HMODULE>(handle), name));
#else
  return dlsym(handle, name);
#endif
}

void close(void* handle) {
#ifdef _WIN32
  FreeLibrary(reinterpret_cast<HMODULE>(handle));
#else
  dlclose(handle);
#endif
}

}  // namespace vqgan::dynlib
