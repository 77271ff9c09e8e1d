// Tables and progress for the terminal.

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd()).join("\n");
}

function kb(n: number): string {
  return (n / 1024).toFixed(1);
}

/**
 * One progress bar per node. On a terminal the bars are redrawn in place;
 * otherwise (logs, CI, tests) a line is written at every quarter.
 */
export class Progress {
  private readonly bars = new Map<string, string>();
  private readonly quarters = new Map<string, number>();
  private drawn = 0;

  constructor(
    private readonly write: (s: string) => void,
    private readonly tty: boolean,
  ) {}

  update(who: string, sent: number, total: number): void {
    const pct = total ? Math.floor((100 * sent) / total) : 100;
    if (!this.tty) {
      const q = Math.floor(pct / 25);
      if ((this.quarters.get(who) ?? -1) >= q) return;
      this.quarters.set(who, q);
      this.write(`${who} upload ${String(pct).padStart(3)}% (${kb(sent)} of ${kb(total)} KB)\n`);
      return;
    }
    const width = 30;
    const fill = Math.round((width * pct) / 100);
    this.bars.set(who, `${who.padEnd(12)} [${"#".repeat(fill)}${"-".repeat(width - fill)}] ${String(pct).padStart(3)}% ${kb(sent)}/${kb(total)} KB`);
    this.redraw();
  }

  private redraw(): void {
    let s = this.drawn ? `\x1b[${this.drawn}A` : "";
    for (const line of this.bars.values()) s += `\r\x1b[2K${line}\n`;
    this.drawn = this.bars.size;
    this.write(s);
  }

  /** Lines in between bars (a terminal keeps the bars below them). */
  log(line: string): void {
    if (!this.tty || !this.drawn) {
      this.write(line + "\n");
      return;
    }
    this.write(`\x1b[${this.drawn}A\r\x1b[2K${line}\n`);
    this.drawn = 0;
    this.redraw();
  }
}
