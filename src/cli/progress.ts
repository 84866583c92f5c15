/**
 * Progress of a long run on stderr: a bar redrawn in place on a terminal,
 * plain lines otherwise (CI logs, files), so neither gets garbage.
 */
import type { Io } from './io.js';

export class Progress {
  private done = 0;
  private readonly started = Date.now();

  /**
   * `command` prefixes the plain lines; with `plain` false nothing is
   * written unless stderr is a terminal (a check of the whole tree has
   * hundreds of batches: not every log wants a line for each).
   */
  constructor(
    private readonly io: Io,
    private readonly total: number,
    private readonly what: string,
    private readonly opts: { command: string; plain: boolean } = { command: 'scan', plain: true },
  ) {}

  step(note: string): void {
    this.done++;
    if (this.io.isTTY.stderr) {
      const width = 24;
      const filled = this.total ? Math.round((this.done / this.total) * width) : width;
      const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
      const line = `[${bar}] ${this.done}/${this.total} ${this.what} ${this.elapsed()} ${note}`;
      this.io.stderr(`\r\x1b[K${line.slice(0, 150)}`);
    } else if (this.opts.plain) {
      this.io.stderr(`kreview: ${this.opts.command}: [${this.done}/${this.total}] ${note}\n`);
    }
  }

  end(): void {
    if (this.io.isTTY.stderr) this.io.stderr('\r\x1b[K');
  }

  private elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(0)}s`;
  }
}
