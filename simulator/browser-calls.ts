import { nanoid } from 'nanoid';
import { CallFailure } from './call-failure.ts';
import { placeCall, type CallEvent, type KeyRequest, type PlaceCallOptions } from './call.ts';

/** What the page gets after each step: what happened since the last step, and what the call waits for. */
export interface Turn {
  callId: string;
  callSid: string;
  events: CallEvent[];
  waitingFor: KeyRequest | null;
  ended: boolean;
  error: { kind: string; message: string } | null;
}

const IDLE_MS = 10 * 60_000;

/**
 * A call placed from the browser. The interpreter runs here, on the server, and pauses whenever
 * it needs keys; each request from the page hands over the keys and waits for the next pause.
 */
export class BrowserCall {
  readonly id = nanoid(21);
  callSid = '';
  private pending: CallEvent[] = [];
  private waitingFor: KeyRequest | null = null;
  private answerKeys: ((keys: string | null) => void) | null = null;
  private done = false;
  private error: Turn['error'] = null;
  private wake: (() => void)[] = [];
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    options: PlaceCallOptions,
    private readonly onEnd: (call: BrowserCall) => void,
  ) {
    const caller = {
      keys: (request: KeyRequest) =>
        new Promise<string | null>((resolve) => {
          this.waitingFor = request;
          this.answerKeys = resolve;
          this.notify();
        }),
    };
    this.touch();
    placeCall(options, caller, (event) => {
      this.pending.push(event);
      if (event.type === 'request' && !this.callSid) this.callSid = event.params.CallSid ?? '';
    })
      .catch((error: unknown) => {
        this.error = error instanceof CallFailure ? { kind: error.kind, message: error.message } : { kind: 'internal', message: 'the simulator failed' };
      })
      .finally(() => {
        this.done = true;
        clearTimeout(this.idleTimer);
        this.onEnd(this);
        this.notify();
      });
  }

  get isWaitingForKeys() {
    return this.waitingFor !== null;
  }

  /** Resolves at the next pause: keys wanted, or the call over. */
  async nextTurn(): Promise<Turn> {
    if (!this.waitingFor && !this.done) await new Promise<void>((resolve) => this.wake.push(resolve));
    const events = this.pending;
    this.pending = [];
    return { callId: this.id, callSid: this.callSid, events, waitingFor: this.waitingFor, ended: this.done, error: this.error };
  }

  /** Keys for the current request ('' = silence), or null to hang up. */
  answer(keys: string | null): Promise<Turn> {
    const resolve = this.answerKeys;
    this.waitingFor = null;
    this.answerKeys = null;
    this.touch();
    resolve?.(keys);
    return this.nextTurn();
  }

  /** The caller hangs up at the next pause (at once if the call is waiting for keys). */
  async hangUp(): Promise<Turn> {
    while (!this.waitingFor && !this.done) await new Promise<void>((resolve) => this.wake.push(resolve));
    return this.done ? this.nextTurn() : this.answer(null);
  }

  private notify() {
    const waiting = this.wake;
    this.wake = [];
    for (const resolve of waiting) resolve();
  }

  /** A call left waiting (tab closed) hangs up by itself. */
  private touch() {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.hangUp(), IDLE_MS);
    this.idleTimer.unref();
  }
}

/** The calls in progress from browsers; in memory, as the simulator is a development tool. */
export class BrowserCalls {
  private readonly calls = new Map<string, BrowserCall>();
  constructor(readonly maxCalls = 50) {}

  get size() {
    return this.calls.size;
  }

  start(options: PlaceCallOptions): BrowserCall | undefined {
    if (this.calls.size >= this.maxCalls) return undefined;
    const call = new BrowserCall(options, (ended) => this.calls.delete(ended.id));
    this.calls.set(call.id, call);
    return call;
  }

  get(id: string): BrowserCall | undefined {
    return this.calls.get(id);
  }
}
