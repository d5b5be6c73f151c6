// One name per platform for everything native we ship: node-llama-cpp names its prebuilt packages
// @node-llama-cpp/<name>[-vulkan|-cuda] with <name> = win-x64, mac-arm64, linux-x64, …, which is
// also electron-builder's `${os}-${arch}`. The VQ-GAN addon is built to native/build/<name>/ so one
// checkout can hold the host build and the mingw-w64 Windows build side by side, and a package for
// <name> picks its own.
import path from 'node:path';

const OS_NAMES: Partial<Record<NodeJS.Platform, string>> = { win32: 'win', darwin: 'mac', linux: 'linux' };

export function prebuiltPlatform(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  return `${OS_NAMES[platform] ?? platform}-${arch}`;
}

/** node-llama-cpp's CPU package for the platform (the one holding libggml-base): Apple silicon's is the Metal build. */
export function ggmlBasePackage(name: string = prebuiltPlatform()): string {
  return name === 'mac-arm64' ? 'mac-arm64-metal' : name;
}

/** node-llama-cpp's GPU packages for the platform, best first (Metal lives in the base package on macOS). */
export function ggmlGpuPackages(name: string = prebuiltPlatform()): string[] {
  return name.startsWith('mac-') ? [ggmlBasePackage(name)] : [`${name}-cuda`, `${name}-vulkan`];
}

/** The prebuilt-binaries folder inside node_modules for one of node-llama-cpp's packages. */
export function ggmlBinsDir(nodeModules: string, pkg: string): string {
  return path.join(nodeModules, '@node-llama-cpp', pkg, 'bins', pkg);
}

/** Where native/build.ts writes the VQ-GAN addon for the platform, relative to the repo root. */
export function addonRelPath(name: string = prebuiltPlatform()): string {
  return path.join('native', 'build', name, 'vqgan.node');
}
