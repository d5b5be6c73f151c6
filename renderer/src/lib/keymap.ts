// One table of the app's keyboard shortcuts, as a pure function of the key event, so the rules
// (Ctrl on Windows/Linux vs Cmd on macOS, IME composition, Shift+Enter) are unit-tested. The
// cheat-sheet (`?`) is drawn from the same table, so it cannot drift from what the keys do.

export type KeyAction = 'newChat' | 'search' | 'send' | 'newline' | 'stop' | 'escape' | 'settings' | 'export' | 'sidebar' | 'sampling' | 'zoomIn' | 'zoomOut';
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

/** Mod+key chords: [key, shift, action, what the cheat-sheet says]. */
const CHORDS: ReadonlyArray<readonly [string, boolean, KeyAction, string]> = [
  ['n', false, 'newChat', 'New chat'],
  ['k', false, 'search', 'Search all chats'],
  [',', false, 'settings', 'Settings'],
  ['e', true, 'export', 'Export or import chats'],
  ['b', false, 'sidebar', 'Show or hide the chat list'],
  ['s', true, 'sampling', "This chat's instructions, presets and sampling"],
  ['=', false, 'zoomIn', 'Larger text'],
  ['-', false, 'zoomOut', 'Smaller text'],
];

export function isMacPlatform(platform: string): boolean {
  return /mac|iphone|ipad/i.test(platform);
}

export function keyAction(ev: KeyInput, scope: KeyScope, mac: boolean, streaming: boolean): KeyAction | null {
  if (ev.isComposing) return null;
  const mod = mac ? ev.metaKey && !ev.ctrlKey : ev.ctrlKey && !ev.metaKey;
  const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
  if (mod && !ev.altKey) {
    // Ctrl++ is Ctrl+Shift+= on most layouts: treat + as =.
    const k = key === '+' ? '=' : key;
    const chord = CHORDS.find(([ck, shift]) => ck === k && (shift === ev.shiftKey || (k === '=' && key === '+')));
    if (chord) return chord[2];
  }
  if (key === 'Escape' && !mod && !ev.shiftKey && !ev.altKey) return streaming ? 'stop' : 'escape';
  if (scope === 'composer' && key === 'Enter' && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
    return ev.shiftKey ? 'newline' : 'send';
  }
  return null;
}

export interface ShortcutRow {
  keys: string;
  does: string;
}

/** The cheat-sheet's rows, in the platform's own words (⌘ on macOS, Ctrl elsewhere). */
export function shortcutRows(mac: boolean): ShortcutRow[] {
  const mod = mac ? '⌘' : 'Ctrl+';
  const name = (k: string): string => (k === '=' ? '+' : k.toUpperCase());
  return [
    ...CHORDS.map(([k, shift, , does]) => ({ keys: `${mod}${shift ? (mac ? '⇧' : 'Shift+') : ''}${name(k)}`, does })),
    { keys: 'Enter', does: 'Send the message' },
    { keys: 'Shift+Enter', does: 'New line in the message' },
    { keys: 'Esc', does: 'Stop the answer · close a dialog · cancel an edit' },
    { keys: 'Tab / Shift+Tab', does: 'Move between controls (dialogs keep focus inside)' },
    { keys: '?', does: 'This list' },
  ];
}
