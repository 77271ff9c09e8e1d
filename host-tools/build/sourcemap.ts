// Maps a position in a generated bundle back to its TypeScript source, so that
// build errors found in the minified output name the line the developer wrote.

export interface SourceMapV3 {
  version: number;
  sources: string[];
  mappings: string;
}

export interface OriginalPosition {
  source: string;
  line: number; // 1-based
  column: number; // 0-based
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = BASE64.indexOf(ch);
    if (digit < 0) throw new Error(`bad VLQ character ${JSON.stringify(ch)}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

interface Mapping {
  genColumn: number;
  source: number;
  line: number;
  column: number;
}

export class SourceMapLookup {
  private readonly lines: Mapping[][] = [];
  private readonly sources: string[];

  constructor(map: SourceMapV3) {
    this.sources = map.sources;
    let source = 0;
    let line = 0;
    let column = 0;
    for (const lineText of map.mappings.split(";")) {
      const mappings: Mapping[] = [];
      let genColumn = 0;
      for (const segment of lineText.split(",")) {
        if (!segment) continue;
        const v = decodeVlq(segment);
        genColumn += v[0];
        if (v.length >= 4) {
          source += v[1];
          line += v[2];
          column += v[3];
          mappings.push({ genColumn, source, line, column });
        }
      }
      this.lines.push(mappings);
    }
  }

  /** line is 1-based, column 0-based, as acorn reports them. */
  original(line: number, column: number): OriginalPosition | undefined {
    const mappings = this.lines[line - 1];
    if (!mappings) return undefined;
    let best: Mapping | undefined;
    for (const m of mappings) {
      if (m.genColumn > column) break;
      best = m;
    }
    if (!best) return undefined;
    return { source: this.sources[best.source], line: best.line + 1, column: best.column };
  }
}
