// Prints the path of the tiny generated Chameleon GGUF (writing it first), for the release
// workflow's smoke launch of the packaged app: `node test/packaging/writeTinyModel.ts`.
import { tinyChameleonGguf } from '../fixtures/gguf/fixtureModels.ts';

console.log(tinyChameleonGguf());
