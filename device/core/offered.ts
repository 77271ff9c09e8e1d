// The services capability's types, and the list of this node's own services
// its announces and hellos carry. A module of its own, depending on nothing,
// so gossip.ts can announce the list and services.ts, which sends through
// gossip.ts, can keep it (no cycle).

/** A user's handler: answers once, with reply(error) or reply(null, result). */
export type Handler = (args: any, reply: (err: any, result?: any) => void, from: string) => void;

/** A caller's callback: error ("" never: null on success), result, the provider's hostname. */
export type CallBack = (err: string | null, result?: any, from?: string) => void;

export interface Call {
  /** service, args JSON, least version */
  n_: string;
  a_: string;
  v_: number;
  cb_: CallBack;
  /** deadline (uptime ms), retries left, attempts made */
  end_: number;
  left_: number;
  att_: number;
  /** the provider asked last; every provider asked, "," after each; those that answered with a fault (not asked again) */
  to_: string;
  tried_: string;
  out_: string;
  /** once it ended: its callback's arguments (error, result, hostname) */
  r_?: any[];
  /** its attempt's timer while it has not fired (0: none) */
  t_?: number;
}

/**
 * The state, made the first time a node offers, calls or hears of a service
 * (a node in a cluster without services holds none of it): members' lists of
 * services by member id, as announced; calls in flight by id, and the last
 * id; requests served lately ("<caller>.<id>": "<when, s, base 36> <answer
 * arg>", the answer "" while the handler runs); circuits with failures
 * ("<provider id>/<service>": [failures in a row, when it opened]).
 */
export interface State {
  /** own services: name to [version, handler] */
  own_: Record<string, [number, Handler]>;
  offers_: Record<string, string>;
  calls_: Record<string, Call>;
  last_: number;
  served_: Record<string, string>;
  circuits_: Record<string, number[]>;
}
/**
 * This node's list of services as its announces and hellos carry it
 * ("name.version,...", versions in base 36; "" for none): services.ts keeps
 * it as the table changes. An object, not a function: on the chip a function
 * holds more JsVars for good.
 */
export const offer = { list_: "" };
