// One table of the app's keyboard shortcuts, as a pure function of the key event, so the rules
// (Ctrl on Windows/Linux vs Cmd on macOS, IME composition, Shift+Enter) are unit-tested.

export type KeyAction = 'newChat' | 'search' | 'send' | 'newline' | 'stop' | 'escape' | 'settings' | 'export';
export type KeyScope = 'global' | 'composer';

export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  /** True while an IME composes a character: Enter then confirms the composition, not a send. */
  isComposing?: boolean;
}

export function isMacPlatform(platform: string): boolean {
  return /mac|iphone|ipad/i.test(platform);
}

export function keyAction(ev: KeyInput, scope: KeyScope, mac: boolean, streaming: boolean): KeyAction | null {
  if (ev.isComposing) return null;
  const mod = mac ? ev.metaKey && !ev.ctrlKey : ev.ctrlKey && !ev.metaKey;
  const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
  if (mod && !ev.altKey && !ev.shiftKey) {
    if (key === 'n') return 'newChat';
    if (key === 'k') return 'search';
    if (key === ',') return 'settings';
  }
  if (mod && !ev.altKey && ev.shiftKey && key === 'e') return 'export';
  if (key === 'Escape' && !mod && !ev.shiftKey && !ev.altKey) return streaming ? 'stop' : 'escape';
  if (scope === 'composer' && key === 'Enter' && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
    return ev.shiftKey ? 'newline' : 'send';
  }
  return null;
}
