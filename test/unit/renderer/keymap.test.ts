import { describe, expect, it } from 'vitest';
import { isMacPlatform, keyAction, shortcutRows, type KeyInput } from '../../../renderer/src/lib/keymap.ts';

const key = (k: string, mods: Partial<KeyInput> = {}): KeyInput => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

describe('keyAction', () => {
  it('uses Ctrl off macOS and Cmd on macOS for new chat and search', () => {
    expect(keyAction(key('n', { ctrlKey: true }), 'global', false, false)).toBe('newChat');
    expect(keyAction(key('K', { ctrlKey: true }), 'global', false, false)).toBe('search');
    expect(keyAction(key('n', { metaKey: true }), 'global', false, false)).toBeNull();
    expect(keyAction(key('n', { metaKey: true }), 'global', true, false)).toBe('newChat');
    expect(keyAction(key('k', { ctrlKey: true }), 'global', true, false)).toBeNull();
    expect(keyAction(key(',', { ctrlKey: true }), 'global', false, false)).toBe('settings');
  });

  it('sends on Enter and inserts a newline on Shift+Enter, only in the composer', () => {
    expect(keyAction(key('Enter'), 'composer', false, false)).toBe('send');
    expect(keyAction(key('Enter', { shiftKey: true }), 'composer', false, false)).toBe('newline');
    expect(keyAction(key('Enter'), 'global', false, false)).toBeNull();
  });

  it('leaves Enter alone while an IME composes', () => {
    expect(keyAction(key('Enter', { isComposing: true }), 'composer', false, false)).toBeNull();
  });

  it('stops a running answer on Esc, otherwise Esc just escapes', () => {
    expect(keyAction(key('Escape'), 'composer', false, true)).toBe('stop');
    expect(keyAction(key('Escape'), 'global', false, false)).toBe('escape');
  });

  it('ignores shortcuts with extra modifiers', () => {
    expect(keyAction(key('n', { ctrlKey: true, shiftKey: true }), 'global', false, false)).toBeNull();
    expect(keyAction(key('n', { ctrlKey: true, altKey: true }), 'global', false, false)).toBeNull();
  });

  it('recognises macOS platform strings', () => {
    expect(isMacPlatform('MacIntel')).toBe(true);
    expect(isMacPlatform('Linux x86_64')).toBe(false);
    expect(isMacPlatform('Win32')).toBe(false);
  });
});

describe('the shortcut table', () => {
  it('toggles the sidebar, the sampling panel and the text size', () => {
    expect(keyAction(key('b', { ctrlKey: true }), 'global', false, false)).toBe('sidebar');
    expect(keyAction(key('S', { ctrlKey: true, shiftKey: true }), 'global', false, false)).toBe('sampling');
    expect(keyAction(key('=', { ctrlKey: true }), 'global', false, false)).toBe('zoomIn');
    expect(keyAction(key('+', { ctrlKey: true, shiftKey: true }), 'global', false, false)).toBe('zoomIn');
    expect(keyAction(key('-', { metaKey: true }), 'global', true, false)).toBe('zoomOut');
    expect(keyAction(key('s', { ctrlKey: true }), 'global', false, false)).toBeNull();
  });

  it('lists every chord in the cheat-sheet with the platform modifier', () => {
    const rows = shortcutRows(false);
    expect(rows.map((r) => r.keys)).toContain('Ctrl+Shift+E');
    expect(rows.map((r) => r.keys)).toContain('Ctrl+B');
    expect(shortcutRows(true).map((r) => r.keys)).toContain('⌘⇧S');
    expect(rows.find((r) => r.keys === '?')?.does).toBe('This list');
  });
});
