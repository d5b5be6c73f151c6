// Windows only. The addon's N-API imports name NODE.EXE (the import library is made from
// node-api-headers' def file), but inside Electron the process is "Chameleon Desktop.exe", which
// exports the same functions. The imports are delay-loaded and this hook answers "NODE.EXE" with
// the running executable, as node-gyp's win_delay_load_hook does for MSVC builds. It is installed
// by a static initialiser, which runs when the DLL loads and before Node calls into the addon.
#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <delayimp.h>

#include <cstring>

namespace {

FARPROC WINAPI hostModuleHook(unsigned event, PDelayLoadInfo info) {
  if (event == dliNotePreLoadLibrary && _stricmp(info->szDll, "NODE.EXE") == 0) {
    return reinterpret_cast<FARPROC>(GetModuleHandleW(nullptr));
  }
  return nullptr;
}

const bool installed = [] {
  __pfnDliNotifyHook2 = hostModuleHook;
  return true;
}();

}  // namespace
#endif
