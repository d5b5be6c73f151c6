import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, MIN_HEIGHT, MIN_WIDTH, WINDOW_STATE_FILE_NAME, clampWindowState, loadWindowState, parseWindowState, saveWindowState } from '../../../main/app/windowState.ts';

const laptop = { x: 0, y: 0, width: 1440, height: 876 };
const rightMonitor = { x: 1440, y: 0, width: 2560, height: 1400 };

describe('window state', () => {
  it('keeps a position that is on a screen', () => {
    expect(clampWindowState({ x: 1500, y: 100, width: 1600, height: 1000, maximized: true }, [laptop, rightMonitor])).toEqual({ x: 1500, y: 100, width: 1600, height: 1000, maximized: true });
  });

  it('centres a window whose monitor was unplugged and shrinks it to the largest screen', () => {
    expect(clampWindowState({ x: 1500, y: 100, width: 2400, height: 1300, maximized: false }, [laptop])).toEqual({ width: 1440, height: 876, maximized: false });
  });

  it('drops a position with the title bar above the screen or barely visible', () => {
    expect(clampWindowState({ x: 100, y: -500, width: 1000, height: 700, maximized: false }, [laptop])).toEqual({ width: 1000, height: 700, maximized: false });
    expect(clampWindowState({ x: 1400, y: 100, width: 1000, height: 700, maximized: false }, [laptop])).toEqual({ width: 1000, height: 700, maximized: false });
  });

  it('never goes under the minimum size (no layout break at 800×600)', () => {
    expect(clampWindowState({ width: 200, height: 100, maximized: false }, [laptop])).toEqual({ width: MIN_WIDTH, height: MIN_HEIGHT, maximized: false });
    expect(clampWindowState({ width: 200, height: 100, maximized: false }, [])).toEqual({ width: MIN_WIDTH, height: MIN_HEIGHT, maximized: false });
  });

  it('treats garbage as defaults', () => {
    expect(parseWindowState(null)).toEqual(DEFAULT_STATE);
    expect(parseWindowState({ width: 'wide', height: 3, maximized: false })).toEqual(DEFAULT_STATE);
    expect(parseWindowState({ width: 900, height: 700, maximized: true, x: 5, y: 6 })).toEqual({ width: 900, height: 700, maximized: true, x: 5, y: 6 });
  });

  it('saves and loads through userData, surviving a corrupt file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chameleon-winstate-'));
    try {
      expect(await loadWindowState(dir, [laptop])).toEqual(DEFAULT_STATE);
      await saveWindowState(dir, { x: 10, y: 20, width: 1000, height: 700, maximized: false });
      expect(JSON.parse(readFileSync(join(dir, WINDOW_STATE_FILE_NAME), 'utf8'))).toMatchObject({ x: 10, width: 1000 });
      expect(await loadWindowState(dir, [laptop])).toEqual({ x: 10, y: 20, width: 1000, height: 700, maximized: false });
      writeFileSync(join(dir, WINDOW_STATE_FILE_NAME), '{"width": 10');
      expect(await loadWindowState(dir, [laptop])).toEqual(DEFAULT_STATE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
