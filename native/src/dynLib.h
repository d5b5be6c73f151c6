// The few operating-system calls the addon needs to open shared libraries at run time, on Linux,
// macOS and Windows alike: dlopen/dlsym there, LoadLibraryExW/GetProcAddress here. The addon links
// no ggml library (Windows' ggml-base.dll ships without an import library), so every ggml function
// and every backend is reached through these.
#pragma once
#include <string>
#include <vector>

namespace vqgan::dynlib {

// File names of node-llama-cpp's prebuilt ggml libraries on this platform: the base library is
// libggml-base.so / libggml-base.dylib / ggml-base.dll, the loadable backends are
// libggml-<name>.so on Linux and macOS and ggml-<name>.dll on Windows.
std::string baseLibraryName();
std::string backendLibraryName(const std::string& backend);
// Backend library files in `dir` whose name starts with the backend prefix, e.g. "cpu" finds
// every libggml-cpu-<variant>.so.
std::vector<std::string> listBackendVariants(const std::string& dir, const std::string& backend);

// Opens a library by full path (UTF-8); its dependencies are looked up in its own folder first.
// Returns nullptr and sets `error` when it cannot be opened.
void* open(const std::string& path, std::string& error);
// The library of that file name if this process has loaded it already (node-llama-cpp's addon
// loads libggml-base from whichever of its builds it picked), else nullptr. Never loads anything.
void* openLoaded(const std::string& fileName);
// The file a loaded library came from, found through one of its symbols.
std::string pathOf(void* handle, void* anySymbol);
void* symbol(void* handle, const char* name);
void close(void* handle);
}  // namespace vqgan::dynlib
