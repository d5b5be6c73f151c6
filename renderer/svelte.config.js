// Read by vite-plugin-svelte and svelte-check: TypeScript in <script lang="ts"> needs no
// preprocessor with Svelte 5, so this only turns on runes everywhere.
export default {
  compilerOptions: { runes: true },
};
