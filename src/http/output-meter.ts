/**
 * What the interceptor's own output (`send`) has handed to Node and what Node has written out.
 * "Written out" is counted in write callbacks — when the socket has taken the bytes — not when
 * `write` returns: a client that hangs up before that is an abort, and a body kept in memory
 * stays charged to the memory budget until then. Node also calls back without an error for
 * writes that a destroyed socket dropped, so those are not counted.
 */
import type { ServerResponse } from 'node:http';
import type { AnyMethod } from './response-hooks.js';
import type { Callback } from './intercept-types.js';

export class OutputMeter {
  /** Bytes handed to Node. */
  handed = 0;
  /** Bytes Node has written out. */
  written = 0;
  private waiter: { target: number; done: () => void } | undefined;

  constructor(private readonly res: ServerResponse) {}

  /** Write `chunk` with `write` (the method below labelgate); returns what it returned. */
  write(write: AnyMethod, chunk: Buffer, callback: Callback | undefined): boolean {
    const n = chunk.length;
    this.handed += n;
    const socket = connectionOf(this.res);
    return write.call(this.res, chunk, (err?: Error | null) => {
      if (!err && !socket?.destroyed) {
        this.written += n;
        const waiter = this.waiter;
        if (waiter && this.written >= waiter.target) waiter.done();
      }
      callback?.(err);
    }) as boolean;
  }

  /** Resolves once Node has written out everything handed to it, or the response has closed. */
  allWrittenOut(): Promise<void> {
    const res = this.res;
    const target = this.handed;
    if (this.written >= target || res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        res.off('close', done);
        this.waiter = undefined;
        resolve();
      };
      this.waiter = { target, done };
      res.on('close', done);
    });
  }

  /** Resolves on the response's next 'drain', or when it closes. */
  drained(): Promise<void> {
    const res = this.res;
    return new Promise((resolve) => {
      if (res.destroyed) return resolve();
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
}

/**
 * The connection a response goes out on: its socket, or — for a pipelined response still waiting
 * for the ones before it — its request's (Node attaches the socket to the response only on its turn).
 */
export function connectionOf(res: ServerResponse): Connection | undefined {
  return res.socket ?? requestConnection(res);
}

type Connection = NodeJS.EventEmitter & { destroyed: boolean };

/** The connection the response's request came in on (`res.req`, Node ≥ 15.7). */
function requestConnection(res: ServerResponse): Connection | undefined {
  return (res as ServerResponse & { req?: { socket?: Connection | null } }).req?.socket ?? undefined;
}

const waitingForTurn = new WeakMap<object, Set<ServerResponse>>();

/**
 * A pipelined response waits for the ones before it to get the connection; if the connection
 * closes first, Node never gives it the socket and never emits its 'close'. A response labelgate
 * holds would wait for a 'drain' or 'close' for ever (keeping its temp file, and its download
 * without an audit event): it gets the 'close' Node gives an attached response. One listener per
 * connection, however many responses wait on it.
 */
export function closeWithConnection(res: ServerResponse): void {
  const connection = requestConnection(res);
  if (!connection || res.socket === connection || res.writableFinished) return;
  if (connection.destroyed) {
    process.nextTick(closeUnattached, res);
    return;
  }
  let waiting = waitingForTurn.get(connection);
  if (!waiting) {
    const set = new Set<ServerResponse>();
    waiting = set;
    waitingForTurn.set(connection, set);
    connection.once('close', () => {
      waitingForTurn.delete(connection);
      for (const r of set) closeUnattached(r);
      set.clear();
    });
  }
  waiting.add(res);
  const done = () => waitingForTurn.get(connection)?.delete(res);
  res.once('finish', done);
  res.once('close', done);
}

/** Responses given their 'close' here (an app's own `res.destroy()` of a waiting response emits none). */
const closedHere = new WeakSet<ServerResponse>();

function closeUnattached(res: ServerResponse): void {
  if (res.socket || res.writableFinished || closedHere.has(res)) return;
  closedHere.add(res);
  if (!res.destroyed) res.destroy();
  res.emit('close');
}

/**
 * Calls `done` once, when the response has ended: `true` when Node wrote all of it out, `false`
 * when the client went away first. Node emits 'finish' also for a response whose socket was
 * destroyed under writes it then dropped (a client that stopped reading and hung up after the app
 * called end()), so 'finish' on a destroyed socket is a cut-off too (Node detaches the socket on
 * 'finish': it is looked at as it was when this was called). `complete`: asked on a 'close'
 * before `end()` — a client that has read every byte the response declared may hang up before
 * the writer gets to call `end()` (see `allDeclaredWrittenOut`); that is a delivery.
 */
export function whenResponseEnds(res: ServerResponse, done: (delivered: boolean) => void, complete?: () => boolean): void {
  if (res.writableFinished) {
    done(true);
    return;
  }
  const socket = connectionOf(res);
  const end = (delivered: boolean) => {
    res.off('finish', onFinish);
    res.off('close', onClose);
    done(delivered);
  };
  const isComplete = () => complete !== undefined && complete();
  // A client that read every declared byte and hung up before the writer's end() (which then
  // finishes over the destroyed socket) got it all; the check counts only writes Node confirmed
  // before the socket went.
  const onFinish = () => end(socket?.destroyed !== true || isComplete());
  const onClose = () => end(!res.writableEnded && isComplete());
  res.once('finish', onFinish);
  res.once('close', onClose);
}

/** Every byte of the response's declared Content-Length is written out (`written`: as counted in write callbacks). */
export function allDeclaredWrittenOut(res: ServerResponse, written: number): boolean {
  if (!res.headersSent) return false;
  const declared = Number(res.getHeader('content-length'));
  return Number.isSafeInteger(declared) && written >= declared;
}
