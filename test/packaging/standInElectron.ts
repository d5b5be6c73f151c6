// Stand-ins for the unpacked Electron distribution electron-builder copies (its `electronDist`):
// everything the packaging step reads or edits, but not Electron itself, whose binaries cannot be
// downloaded here. Windows gets a real (tiny) PE built with mingw-w64, carrying a VERSIONINFO
// resource, because electron-builder parses the executable to embed the asar integrity hash and the
// icon; macOS gets Electron.app's bundle layout and property lists, which it rewrites and renames.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type PackageOs = 'linux' | 'win' | 'mac';

function plist(executable: string, id: string, version: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>CFBundleExecutable</key><string>${executable}</string>
  <key>CFBundleIdentifier</key><string>${id}</string>
  <key>CFBundleName</key><string>${executable}</string>
  <key>CFBundlePackageType</key><string>APPL</string>
  <key>CFBundleShortVersionString</key><string>${version}</string>
  <key>CFBundleVersion</key><string>${version}</string>
</dict>
</plist>
`;
}

function script(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '#!/bin/sh\necho "Electron stand-in: the real binary could not be downloaded" >&2\nexit 1\n');
  chmodSync(file, 0o755);
}

function windowsExe(dir: string, version: string): void {
  const [major = '0', minor = '0', patch = '0'] = version.split('.');
  const rc = path.join(dir, 'standin.rc');
  writeFileSync(
    rc,
    `1 VERSIONINFO
FILEVERSION ${major},${minor},${patch},0
PRODUCTVERSION ${major},${minor},${patch},0
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904b0"
    BEGIN
      VALUE "FileDescription", "Electron stand-in"
      VALUE "FileVersion", "${version}"
      VALUE "ProductName", "Electron"
      VALUE "ProductVersion", "${version}"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
`,
  );
  const src = path.join(dir, 'standin.c');
  writeFileSync(src, 'int main(void) { return 1; }\n');
  execFileSync('x86_64-w64-mingw32-windres', [rc, '-O', 'coff', '-o', path.join(dir, 'standin.res')]);
  execFileSync('x86_64-w64-mingw32-gcc-posix', ['-O2', '-s', '-o', path.join(dir, 'dist', 'electron.exe'), src, path.join(dir, 'standin.res')]);
}

/** Writes the stand-in under `dir` (once) and returns the folder to pass as electronDist. */
export function standInElectron(os: PackageOs, dir: string, version: string): string {
  const dist = path.join(dir, 'dist');
  if (existsSync(path.join(dir, '.done'))) return dist;
  mkdirSync(path.join(dist, 'resources'), { recursive: true });
  writeFileSync(path.join(dist, 'LICENSE'), 'Stand-in for the Electron distribution (MIT).\n');
  if (os === 'linux') {
    script(path.join(dist, 'electron'));
    mkdirSync(path.join(dist, 'locales'), { recursive: true });
    writeFileSync(path.join(dist, 'locales', 'en-US.pak'), '');
  } else if (os === 'win') {
    windowsExe(dir, version);
    mkdirSync(path.join(dist, 'locales'), { recursive: true });
    writeFileSync(path.join(dist, 'locales', 'en-US.pak'), '');
  } else {
    const contents = path.join(dist, 'Electron.app', 'Contents');
    script(path.join(contents, 'MacOS', 'Electron'));
    mkdirSync(path.join(contents, 'Resources'), { recursive: true });
    writeFileSync(path.join(contents, 'Info.plist'), plist('Electron', 'com.github.Electron', version));
    for (const suffix of ['', ' (GPU)', ' (Renderer)', ' (Plugin)']) {
      const helper = path.join(contents, 'Frameworks', `Electron Helper${suffix}.app`, 'Contents');
      script(path.join(helper, 'MacOS', `Electron Helper${suffix}`));
      writeFileSync(path.join(helper, 'Info.plist'), plist(`Electron Helper${suffix}`, 'com.github.Electron.helper', version));
    }
  }
  writeFileSync(path.join(dir, '.done'), '');
  return dist;
}
