import { describe, expect, it } from 'vitest';
import { flushSync } from 'svelte';
import { Notices } from '../../../../renderer/src/state/notices.svelte.ts';
import { UiState } from '../../../../renderer/src/state/ui.svelte.ts';

describe('Notices: the one error banner', () => {
  it('shows the newest error and clears only a matching one when asked', () => {
    const n = new Notices();
    n.report({ code: 'model.notFound', message: 'a' });
    n.report({ code: 'engine.crashed', message: 'b' });
    expect(n.current?.code).toBe('engine.crashed');
    n.clear((e) => e.code.startsWith('model.'));
    expect(n.current?.code).toBe('engine.crashed');
    n.clear();
    expect(n.current).toBeUndefined();
  });

  it('is reactive: a $derived of it follows reports', () => {
    const n = new Notices();
    let seen: string | undefined;
    const stop = $effect.root(() => {
      $effect(() => {
        seen = n.current?.code;
      });
    });
    flushSync();
    n.report({ code: 'import.invalid', message: 'x' });
    flushSync();
    expect(seen).toBe('import.invalid');
    stop();
  });
});

describe('UiState: dialogs and view preferences', () => {
  it('keeps theme, text size, sidebar and panel across windows, and ignores bad stored values', () => {
    localStorage.clear();
    const ui = new UiState(localStorage);
    expect(ui.theme).toBe('system');
    ui.setTheme('dark');
    ui.stepFontSize(1);
    ui.toggleSidebar();
    ui.toggleSampling();
    const again = new UiState(localStorage);
    expect([again.theme, again.fontSize, again.sidebarCollapsed, again.samplingOpen]).toEqual(['dark', 15, true, true]);
    localStorage.setItem('chameleon.view', '{"theme":"neon","fontSize":99,"sidebarCollapsed":"yes"}');
    const bad = new UiState(localStorage);
    expect([bad.theme, bad.fontSize, bad.sidebarCollapsed]).toEqual(['system', 14, false]);
  });

  it('opens one dialog at a time and closes only the one named', () => {
    const ui = new UiState(undefined);
    ui.open('settings');
    ui.close('export');
    expect(ui.dialog).toBe('settings');
    ui.open('shortcuts');
    expect(ui.dialog).toBe('shortcuts');
    ui.close();
    expect(ui.dialog).toBeUndefined();
  });
});
