// Where the catalog and the Hub are: the shipped catalog and huggingface.co unless the
// environment says otherwise. HF_ENDPOINT is the Hub's own convention for mirrors (huggingface_hub
// and node-llama-cpp read it too); CHAMELEON_MODEL_CATALOG names another catalog file (the tests
// and the e2e run point both at a loopback Hub).
import { defaultCatalogPath } from './catalog.ts';
import { DEFAULT_HUB_ENDPOINT } from './hubClient.ts';

export interface ModelsConfig {
  catalogPath: string;
  endpoint: string;
}

export function modelsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ModelsConfig {
  return {
    catalogPath: env.CHAMELEON_MODEL_CATALOG?.trim() || defaultCatalogPath(),
    endpoint: (env.HF_ENDPOINT?.trim() || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, ''),
  };
}
