// Copied into an extracted package (app.asar + app.asar.unpacked) by unpackedApp.test.ts and run
// there by Node (Windows Node under Wine for the Windows package): the package's own compiled code
// and node_modules answer one message (runSmokeTest, as --smoke-test does) and the VQ-GAN addon
// opens the package's ggml. Writes the result as JSON to argv[3]; argv[2] is the model.
import { writeFileSync } from 'node:fs';
import { runSmokeTest } from './dist/main/app/smokeTest.js';
import { forkLauncher } from './dist/main/engine/launchers/forkLauncher.js';
import { nativeGgmlInfo } from './dist/main/images/vqgan/nativeAddon.js';

const info = { name: 'Chameleon Desktop', version: '0.0.0-package-test', mode: 'electron', platform: process.platform };
const result = await runSmokeTest({ modelPath: process.argv[2], launcher: forkLauncher(), info, log: () => undefined });
writeFileSync(process.argv[3], JSON.stringify({ platform: process.platform, result, ggml: nativeGgmlInfo() }));
