// Keeps the last lines a host wrote to stderr: when llama.cpp aborts, its assertion text is the
// only explanation we get, so the crash report carries it.
export class StderrTail {
  readonly #max: number;
  readonly #lines: string[] = [];
  #partial = '';

  constructor(maxLines = 40) {
    this.#max = maxLines;
  }

  push(chunk: string): void {
    const parts = (this.#partial + chunk).split(/\r?\n/);
    this.#partial = parts.pop() ?? '';
    for (const line of parts) this.#add(line);
  }

  lines(): string[] {
    return this.#partial ? [...this.#lines, this.#partial] : [...this.#lines];
  }

  #add(line: string): void {
    this.#lines.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    if (this.#lines.length > this.#max) this.#lines.shift();
  }
}
