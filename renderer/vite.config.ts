// The renderer is a static bundle: Electron serves it over its custom protocol, `npm run serve`
// serves it over HTTP. Relative asset URLs (base './') make the same build work in both.
// Run as `vite build renderer`: the root (and so outDir 'dist') is this folder.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  base: './',
  plugins: [svelte()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2023',
    sourcemap: true,
  },
  server: { port: 5173, strictPort: false },
});
