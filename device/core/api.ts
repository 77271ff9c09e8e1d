// The HTTP API's endpoint registry. Endpoints register themselves, so the
// api list in the node status is always what the node really serves.
import type { HttpRequest, HttpResponse } from "./ports.ts";

export type Handler = (req: HttpRequest) => HttpResponse;

interface Endpoint {
  uri: string;
  method: string;
  handler: Handler;
}

export function json(code: number, value: unknown): HttpResponse {
  return { code: code, body: JSON.stringify(value), type: "application/json" };
}

export function error(code: number, message: string): HttpResponse {
  return json(code, { error: message });
}

export class Api {
  private endpoints: Endpoint[];

  constructor() {
    this.endpoints = [];
  }

  add(method: string, uri: string, handler: Handler): void {
    this.endpoints.push({ uri: uri, method: method, handler: handler });
  }

  /** SPORE's api list: [{uri, method}]. */
  list(): { uri: string; method: string }[] {
    return this.endpoints.map((e) => ({ uri: e.uri, method: e.method }));
  }

  handle(req: HttpRequest): HttpResponse {
    let pathKnown = false;
    for (const e of this.endpoints) {
      if (e.uri !== req.path) continue;
      pathKnown = true;
      if (e.method === req.method) {
        try {
          return e.handler(req);
        } catch (err) {
          return error(500, "internal error: " + (err as Error).message);
        }
      }
    }
    return pathKnown ? error(405, "method not allowed") : error(404, "not found");
  }
}
