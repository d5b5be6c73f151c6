// The engines.* commands on the EngineRouter.
import type { Handlers } from '../contract/api.ts';
import type { EngineRouter } from './engineRouter.ts';

type EngineCommands = Pick<Handlers['commands'], 'engines.list' | 'engines.check' | 'engines.add' | 'engines.update' | 'engines.remove' | 'engines.use'>;

export function engineCommands(router: EngineRouter): EngineCommands {
  return {
    'engines.list': () => router.snapshot(),
    'engines.check': ({ id, ...input }) => router.check(input, id),
    'engines.add': (input) => router.add(input),
    'engines.update': ({ id, engine }) => router.update(id, engine),
    'engines.remove': ({ id }) => router.remove(id),
    'engines.use': ({ id }) => router.use(id),
  };
}
