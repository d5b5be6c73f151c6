// A modal keeps the keyboard (issue 15, defect 8): Tab and Shift+Tab cycle inside it, Esc closes
// it wherever focus is (even on <body> after a click on plain text), and on close focus returns to
// where it was, or to a fallback (the composer), never to <body>.

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export interface TrapOptions {
  onEscape: () => void;
  /** Where focus goes on close when the element focused before has gone. */
  fallback?: () => HTMLElement | undefined | null;
  /** Focus this on open instead of the first field. */
  initial?: string;
}

export function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hidden && el.offsetParent !== null);
}

/** Svelte action: `<div use:trapFocus={{ onEscape }}>`. */
export function trapFocus(node: HTMLElement, options: TrapOptions) {
  let opts = options;
  const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const first = (opts.initial ? node.querySelector<HTMLElement>(opts.initial) : null) ?? focusables(node)[0] ?? node;
  first.focus();

  const onKey = (e: KeyboardEvent): void => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      opts.onEscape();
      return;
    }
    if (e.key !== 'Tab') return;
    const list = focusables(node);
    if (list.length === 0) {
      e.preventDefault();
      node.focus();
      return;
    }
    const i = list.indexOf(document.activeElement as HTMLElement);
    const next = e.shiftKey ? (i <= 0 ? list.length - 1 : i - 1) : i < 0 || i === list.length - 1 ? 0 : i + 1;
    e.preventDefault();
    list[next]!.focus();
  };
  // Capture on the window: Esc and Tab are ours even when focus fell outside the dialog.
  window.addEventListener('keydown', onKey, true);
  return {
    update(next: TrapOptions) {
      opts = next;
    },
    destroy() {
      window.removeEventListener('keydown', onKey, true);
      // After the DOM update: the element that opened the dialog may be re-rendered meanwhile.
      queueMicrotask(() => {
        const target = before && before.isConnected && before !== document.body ? before : opts.fallback?.();
        target?.focus();
      });
    },
  };
}
