// What the window shows, owned in one place: which dialog or panel is open, the image in the
// lightbox, and the user's view preferences (theme, text size, sidebar), kept in localStorage —
// they belong to this window's looks, not to the history in main.

export type ThemeChoice = 'system' | 'light' | 'dark';
export type Dialog = 'settings' | 'export' | 'shortcuts' | 'models';

export const FONT_SIZES = [13, 14, 15, 16, 18] as const;
const DEFAULT_FONT = 14;
const STORAGE_KEY = 'chameleon.view';

interface Stored {
  theme: ThemeChoice;
  fontSize: number;
  sidebarCollapsed: boolean;
  samplingOpen: boolean;
}

/** The stored preferences, each field checked on its own (a bad one falls back, the rest stay). */
export function parseView(raw: string | null): Stored {
  let v: Partial<Record<keyof Stored, unknown>> = {};
  try {
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    if (parsed && typeof parsed === 'object') v = parsed as typeof v;
  } catch {
    v = {};
  }
  return {
    theme: v.theme === 'light' || v.theme === 'dark' ? v.theme : 'system',
    fontSize: typeof v.fontSize === 'number' && (FONT_SIZES as readonly number[]).includes(v.fontSize) ? v.fontSize : DEFAULT_FONT,
    sidebarCollapsed: v.sidebarCollapsed === true,
    samplingOpen: v.samplingOpen === true,
  };
}

export class UiState {
  #dialog = $state<Dialog | undefined>(undefined);
  #lightbox = $state.raw<{ src: string; alt: string; fileName?: string } | undefined>(undefined);
  #theme = $state<ThemeChoice>('system');
  #fontSize = $state(DEFAULT_FONT);
  #sidebarCollapsed = $state(false);
  #samplingOpen = $state(false);
  readonly #storage: Storage | undefined;

  constructor(storage: Storage | undefined) {
    this.#storage = storage;
    const v = parseView(storage?.getItem(STORAGE_KEY) ?? null);
    this.#theme = v.theme;
    this.#fontSize = v.fontSize;
    this.#sidebarCollapsed = v.sidebarCollapsed;
    this.#samplingOpen = v.samplingOpen;
  }

  get dialog(): Dialog | undefined {
    return this.#dialog;
  }
  get lightbox(): { src: string; alt: string; fileName?: string } | undefined {
    return this.#lightbox;
  }
  get theme(): ThemeChoice {
    return this.#theme;
  }
  get fontSize(): number {
    return this.#fontSize;
  }
  get sidebarCollapsed(): boolean {
    return this.#sidebarCollapsed;
  }
  get samplingOpen(): boolean {
    return this.#samplingOpen;
  }

  open(dialog: Dialog): void {
    this.#dialog = dialog;
  }
  close(dialog?: Dialog): void {
    if (dialog === undefined || this.#dialog === dialog) this.#dialog = undefined;
  }
  /** `fileName`: offered by "Save image…" (absent: no save button). */
  showImage(src: string, alt: string, fileName?: string): void {
    this.#lightbox = fileName ? { src, alt, fileName } : { src, alt };
  }
  closeImage(): void {
    this.#lightbox = undefined;
  }

  setTheme(theme: ThemeChoice): void {
    this.#theme = theme;
    this.#save();
  }
  setFontSize(size: number): void {
    if (!(FONT_SIZES as readonly number[]).includes(size)) return;
    this.#fontSize = size;
    this.#save();
  }
  /** One step bigger (+1) or smaller (-1), within FONT_SIZES. */
  stepFontSize(step: 1 | -1): void {
    const i = FONT_SIZES.indexOf(this.#fontSize as (typeof FONT_SIZES)[number]);
    const next = FONT_SIZES[Math.min(FONT_SIZES.length - 1, Math.max(0, (i < 0 ? 1 : i) + step))]!;
    this.setFontSize(next);
  }
  toggleSidebar(): void {
    this.#sidebarCollapsed = !this.#sidebarCollapsed;
    this.#save();
  }
  toggleSampling(): void {
    this.#samplingOpen = !this.#samplingOpen;
    this.#save();
  }

  #save(): void {
    const v: Stored = { theme: this.#theme, fontSize: this.#fontSize, sidebarCollapsed: this.#sidebarCollapsed, samplingOpen: this.#samplingOpen };
    try {
      this.#storage?.setItem(STORAGE_KEY, JSON.stringify(v));
    } catch {
      // Storage full or disabled: the choice still holds for this session.
    }
  }
}
