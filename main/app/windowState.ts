// The window's size, position and maximized flag, remembered in userData/window-state.json. A saved
// position is only reused while it is still on a screen (monitors get unplugged).
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const WINDOW_STATE_FILE_NAME = 'window-state.json';
export const MIN_WIDTH = 800;
export const MIN_HEIGHT = 600;
export const DEFAULT_STATE: WindowState = { width: 1200, height: 800, maximized: false };
/** How much of the window must be on a screen for its saved position to be reused. */
const VISIBLE_MARGIN = 64;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

const WindowStateSchema = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  maximized: z.boolean(),
});
export type WindowState = z.infer<typeof WindowStateSchema>;

/** Anything read from disk; garbage gives the defaults. */
export function parseWindowState(json: unknown): WindowState {
  const parsed = WindowStateSchema.safeParse(json);
  return parsed.success ? parsed.data : { ...DEFAULT_STATE };
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  };
}

/**
 * Fit a saved state to the screens there are now (their work areas): the size at least the
 * minimum and at most the largest screen, the position dropped (the window is centred) unless
 * enough of the window, its title bar included, is on one screen.
 */
export function clampWindowState(state: WindowState, workAreas: readonly Rect[]): WindowState {
  const maxW = Math.max(MIN_WIDTH, ...workAreas.map((a) => a.width));
  const maxH = Math.max(MIN_HEIGHT, ...workAreas.map((a) => a.height));
  const width = Math.min(Math.max(state.width, MIN_WIDTH), maxW);
  const height = Math.min(Math.max(state.height, MIN_HEIGHT), maxH);
  const out: WindowState = { width, height, maximized: state.maximized };
  if (state.x === undefined || state.y === undefined) return out;
  const rect = { x: state.x, y: state.y, width, height };
  const titleBar = { x: state.x, y: state.y, width, height: 32 };
  const visible = workAreas.some((area) => {
    const o = overlap(rect, area);
    const t = overlap(titleBar, area);
    return o.width >= VISIBLE_MARGIN && o.height >= VISIBLE_MARGIN && t.width >= VISIBLE_MARGIN && t.height > 0;
  });
  return visible ? { ...out, x: state.x, y: state.y } : out;
}

export async function loadWindowState(userDataDir: string, workAreas: readonly Rect[]): Promise<WindowState> {
  let json: unknown = null;
  try {
    json = JSON.parse(await readFile(join(userDataDir, WINDOW_STATE_FILE_NAME), 'utf8'));
  } catch {
    // Missing or corrupt: start from the defaults, the file is rewritten on close.
  }
  return clampWindowState(parseWindowState(json), workAreas);
}

export async function saveWindowState(userDataDir: string, state: WindowState): Promise<void> {
  const path = join(userDataDir, WINDOW_STATE_FILE_NAME);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(WindowStateSchema.parse(state))}\n`);
  await rename(tmp, path);
}
