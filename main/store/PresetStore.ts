// Presets: named instructions plus sampling (contract/presets.ts). Applying one copies both into
// the chat and remembers which preset it was, in one transaction. Shares ChatStore's connection
// (ChatStore.presets()); SQL prepared once, parameters bound.
import type { Database, Statement } from 'better-sqlite3';
import type { ConversationSummary } from '../contract/chat.ts';
import { SamplingOverridesSchema } from '../contract/engine.ts';
import { AppError } from '../contract/errors.ts';
import type { Preset, PresetInput } from '../contract/presets.ts';

export const PRESET_SQL = {
  list: `SELECT * FROM presets ORDER BY name COLLATE NOCASE, id`,
  get: `SELECT * FROM presets WHERE id = ?`,
  byName: `SELECT id FROM presets WHERE name = ? COLLATE NOCASE`,
  insert: `INSERT INTO presets (name, instructions, sampling_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
  update: `UPDATE presets SET name = ?, instructions = ?, sampling_json = ?, updated_at = ? WHERE id = ?`,
  delete: `DELETE FROM presets WHERE id = ?`,
  applyToChat: `UPDATE conversations SET instructions = ?, sampling_json = ?, preset_id = ? WHERE id = ?`,
} as const;

interface PresetRow {
  id: number;
  name: string;
  instructions: string;
  sampling_json: string | null;
  created_at: number;
  updated_at: number;
}

export interface PresetStoreDeps {
  now: () => number;
  conversation: (id: number) => ConversationSummary;
  checkOpen: () => void;
}

function toPreset(row: PresetRow): Preset {
  let sampling = {};
  try {
    sampling = SamplingOverridesSchema.safeParse(JSON.parse(row.sampling_json ?? '{}')).data ?? {};
  } catch {
    // A damaged value reads as "no sampling", never as an unreadable preset list.
  }
  return { id: row.id, name: row.name, instructions: row.instructions, sampling, createdAt: row.created_at, updatedAt: row.updated_at };
}

function samplingJson(sampling: PresetInput['sampling']): string | null {
  return Object.keys(sampling).length > 0 ? JSON.stringify(sampling) : null;
}

export class PresetStore {
  readonly #db: Database;
  readonly #st: { [K in keyof typeof PRESET_SQL]: Statement<unknown[], unknown> };
  readonly #d: PresetStoreDeps;

  constructor(db: Database, deps: PresetStoreDeps) {
    this.#db = db;
    this.#d = deps;
    const st = {} as Record<keyof typeof PRESET_SQL, Statement<unknown[], unknown>>;
    for (const key of Object.keys(PRESET_SQL) as (keyof typeof PRESET_SQL)[]) st[key] = db.prepare(PRESET_SQL[key]);
    this.#st = st;
  }

  list(): Preset[] {
    this.#d.checkOpen();
    return (this.#st.list.all() as PresetRow[]).map(toPreset);
  }

  get(id: number): Preset {
    this.#d.checkOpen();
    const row = this.#st.get.get(id) as PresetRow | undefined;
    if (!row) throw new AppError('store.notFound', 'No such preset', { presetId: id });
    return toPreset(row);
  }

  /** A new preset (no id) or an overwrite; names are unique regardless of case. */
  save(input: PresetInput): Preset {
    const id = this.#db.transaction(() => {
      const name = input.name.trim();
      const twin = this.#st.byName.get(name) as { id: number } | undefined;
      if (twin && twin.id !== input.id) throw new AppError('store.conflict', `A preset named “${name}” exists already.`, { presetId: twin.id });
      const now = this.#d.now();
      const instructions = input.instructions.trim();
      if (input.id === undefined) return Number(this.#st.insert.run(name, instructions, samplingJson(input.sampling), now, now).lastInsertRowid);
      this.get(input.id);
      this.#st.update.run(name, instructions, samplingJson(input.sampling), now, input.id);
      return input.id;
    })();
    return this.get(id);
  }

  /** The chats set from it keep their copy of its values. */
  delete(id: number): void {
    this.#d.checkOpen();
    if (this.#st.delete.run(id).changes === 0) throw new AppError('store.notFound', 'No such preset', { presetId: id });
  }

  /** The chat takes the preset's instructions and sampling (replacing its own). */
  apply(conversationId: number, presetId: number): ConversationSummary {
    this.#db.transaction(() => {
      this.#d.conversation(conversationId);
      const p = this.get(presetId);
      this.#st.applyToChat.run(p.instructions === '' ? null : p.instructions, samplingJson(p.sampling), p.id, conversationId);
    })();
    return this.#d.conversation(conversationId);
  }
}
