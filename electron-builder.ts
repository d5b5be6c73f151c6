// Packaging for Chameleon Desktop: `npm run dist` (tsc build + the renderer bundle + electron-builder).
// TypeScript rather than YAML for one reason: electron-builder keeps a platform's `files` apart from
// the global ones (the global list becomes its own file set, and a platform list of exclusions only
// gets `**/*` added), so a platform-specific exclusion cannot narrow the global list; each platform
// gets the whole list instead, built here from one source.
// Checked offline by test/unit/app/electronBuilder.test.ts (electron-builder's schema and filter) and
// test/packaging/unpackedApp.test.ts (`--dir` builds for all three platforms, asar contents).
// Signing is on only when its secrets are set (see .github/workflows/release.yml).
// CHAMELEON_CUDA=1 builds the CUDA edition for Windows/Linux x64: the same app plus node-llama-cpp's
// CUDA builds (≈540 MB), as its own installer (README, "GPU").
import type { Configuration } from 'electron-builder';

type NodePlatform = 'linux' | 'win32' | 'darwin';

export interface BuildOptions {
  /** also pack node-llama-cpp's CUDA builds (the CUDA edition) */
  cuda: boolean;
}

/** What goes into the app, for a target whose Node platform name is `node`. Later patterns win. */
function appFiles(
  options: BuildOptions,
  node: NodePlatform,
  reflinkSuffix: string,
  sharpPackages: string,
): string[] {
  const llama = [
    '${os}-${arch}',
    '${os}-${arch}-metal',
    '${os}-${arch}-vulkan',
    ...(options.cuda ? ['${os}-${arch}-cuda', '${os}-${arch}-cuda-ext'] : []),
  ];
  return [
    'package.json',
    'dist/main/**/*',
    '!dist/main/app/tools/**',
    'renderer/dist/**/*',
    // the VQ-GAN addon built for the target (`node native/build.ts --target win-x64` cross-builds Windows)
    'native/build/${os}-${arch}/vqgan.node',
    'resources/icons/icon-512.png',
    // the model catalog (main/models reads it at start)
    'resources/catalog/models.json',
    // node-llama-cpp's llama.cpp sources (≈240 MB) and its binding's sources are only needed to
    // build from source, which the app never does (build: 'never')
    '!**/node_modules/node-llama-cpp/llama/llama.cpp/**',
    '!**/node_modules/node-llama-cpp/llama/gitRelease.bundle',
    '!**/node_modules/node-llama-cpp/llama/localBuilds/**',
    '!**/node_modules/node-llama-cpp/llama/{addon,cmake,toolchains,xpack,patches,profiles}/**',
    '!**/node_modules/node-llama-cpp/llama/CMakeLists.txt',
    // Prebuilt llama.cpp binaries: only the platform being built. Written as one exclusion because
    // electron-builder filters node_modules with the exclusions (a re-inclusion may be ignored there).
    // CUDA (≈540 MB) only in the CUDA edition.
    `!**/node_modules/@node-llama-cpp/!(${llama.join('|')})/**`,
    // better-sqlite3 ships every platform's prebuild and SQLite's sources; sharp and reflink have
    // one package per platform (only the host's are installed, but a cross-staged tree has more)
    `!**/node_modules/better-sqlite3/prebuilds/!(${node}-\${arch}.node)`,
    '!**/node_modules/better-sqlite3/{deps,src}/**',
    `!**/node_modules/@img/sharp-!(${sharpPackages})/**`,
    `!**/node_modules/@reflink/reflink-!(${node}-\${arch}${reflinkSuffix})/**`,
    '!**/node_modules/*/{README.md,CHANGELOG.md}',
    // no source maps anywhere (ours are for development; node_modules ship hundreds)
    '!**/*.map',
  ];
}

const signingMac = Boolean(process.env.CSC_LINK);
const notarize = Boolean(
  process.env.APPLE_TEAM_ID &&
  ((process.env.APPLE_ID && process.env.APPLE_APP_SPECIFIC_PASSWORD) || process.env.APPLE_API_KEY),
);

export function builderConfig(options: BuildOptions): Configuration {
  return {
    appId: 'org.chameleon-desktop.app',
    productName: 'Chameleon Desktop',
    copyright: 'Copyright © 2026 Chameleon Desktop contributors',
    artifactName: `\${productName}-\${version}-\${os}-\${arch}${options.cuda ? '-cuda' : ''}.\${ext}`,
    directories: { output: 'release', buildResources: 'resources' },

    asar: true,
    // Native code cannot be loaded from inside the asar: unpack it (the engine host and the VQ-GAN
    // addon find the ggml libraries next to each other under app.asar.unpacked).
    asarUnpack: [
      '**/*.node',
      '**/*.{so,dylib,dll,metal}',
      'native/build/**',
      '**/node_modules/node-llama-cpp/bins/**',
      '**/node_modules/@node-llama-cpp/**',
      '**/node_modules/better-sqlite3/**',
      '**/node_modules/sharp/**',
      '**/node_modules/@img/**',
    ],
    // better-sqlite3 and sharp are N-API: the same .node runs in Node and Electron, no rebuild.
    npmRebuild: false,
    nodeGypRebuild: false,
    buildDependenciesFromSource: false,

    win: {
      icon: 'resources/icons/icon.ico',
      files: appFiles(options, 'win32', '-msvc', 'win32-${arch}'),
      target: [{ target: 'nsis', arch: ['x64'] }],
      // signed when WIN_CSC_LINK/CSC_LINK and the password are set; unsigned otherwise
    },
    nsis: {
      oneClick: false,
      perMachine: false,
      allowToChangeInstallationDirectory: true,
      deleteAppDataOnUninstall: false,
      shortcutName: 'Chameleon Desktop',
    },

    mac: {
      icon: 'resources/icons/icon.icns',
      files: appFiles(options, 'darwin', '', 'darwin-${arch}|libvips-darwin-${arch}'),
      category: 'public.app-category.productivity',
      hardenedRuntime: true,
      // without a certificate, skip signing instead of failing on the keychain lookup
      ...(signingMac ? {} : { identity: null }),
      notarize,
      target: [{ target: 'dmg', arch: ['arm64', 'x64'] }],
    },
    dmg: { title: '${productName} ${version}' },

    linux: {
      icon: 'resources/icons',
      files: appFiles(options, 'linux', '-gnu', 'linux-${arch}|libvips-linux-${arch}'),
      category: 'Utility',
      synopsis: "Offline chat with Meta's Chameleon",
      target: [
        { target: 'AppImage', arch: ['x64'] },
        { target: 'deb', arch: ['x64'] },
      ],
      maintainer: 'Chameleon Desktop contributors <chameleon-desktop@users.noreply.github.com>',
    },
    deb: {
      depends: [
        'libgtk-3-0',
        'libnotify4',
        'libnss3',
        'libxss1',
        'libxtst6',
        'xdg-utils',
        'libatspi2.0-0',
        'libuuid1',
        'libsecret-1-0',
      ],
    },
  };
}

export default builderConfig({ cuda: process.env.CHAMELEON_CUDA === '1' });
