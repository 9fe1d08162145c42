/**
 * The user side of `m2m-agent demo --role asn`: an independent client (the agent's own WebSocket
 * binding, but a separate connection and a separate AE) registers with the development
 * registrar, then retrieves the latest reading of a pull-only device and switches the actuator,
 * both addressed to the agent's CSE (`/<cse-id>/...`) and routed by the registrar over the
 * agent's link.
 */
import { connect } from '../binding/ws/index.js';
import type { Connection } from '../binding/ws/types.js';
import type { Serialization } from '../codec/subprotocol.js';
import { Operation, ResourceType, rscLabel } from '../protocol/codes.js';
import type { RequestPrimitive, ResponsePrimitive } from '../protocol/primitive.js';
import { describeError } from '../util/errors.js';
import { silentLogger } from '../util/log.js';

/** The demo user's AE-ID stem (the demo agent trusts it). */
export const DEMO_USER = 'Cdemo-user';

export interface AsnDemoUserOptions {
  readonly url: string;
  readonly serialization: Serialization;
  /** The registrar's CSEBase name, where the user registers. */
  readonly cseBase: string;
  /** The agent's CSE-ID and name (CSEBase and `<AE>`). */
  readonly cseId: string;
  readonly name: string;
  /** The pull-only device and the actuator. */
  readonly pulled: string;
  readonly actuator: string;
  readonly out: (line: string) => void;
  readonly signal: AbortSignal;
}

/** Runs until `signal` aborts: a RETRIEVE of the pulled device's `la` every 3 s, two commands. */
export async function runAsnDemoUser(o: AsnDemoUserOptions): Promise<void> {
  let conn: Connection;
  try {
    // X-M2M-Origin: ACME identifies a connection by it; other registrars ignore it.
    conn = await connect({
      url: o.url,
      serializations: [o.serialization],
      headers: { 'X-M2M-Origin': DEMO_USER },
      pingIntervalMs: 0,
      logger: silentLogger,
    });
  } catch (err) {
    o.out(`!!! the demo user could not connect: ${describeError(err)}`);
    return;
  }
  let seq = 0;
  const send = (r: Omit<RequestPrimitive, 'rqi' | 'rvi' | 'fr'>): Promise<ResponsePrimitive> =>
    conn.request({ ...r, fr: DEMO_USER, rqi: `user-${++seq}`, rvi: '3' });
  try {
    const reg = await send({
      op: Operation.Create,
      to: o.cseBase,
      ty: ResourceType.AE,
      pc: { 'm2m:ae': { rn: 'demo-user', api: 'Ndemo-user', rr: true, srv: ['3'] } },
    });
    o.out(`<<< user ${DEMO_USER} registered with the registrar (${rscLabel(reg.rsc)})`);
    const ae = `${o.cseId}/${o.name}/${o.name}`;
    const commands: Record<number, string> = { 1: 'on', 3: 'off' };
    for (let i = 0; !o.signal.aborted; i++) {
      await pause(3000, o.signal);
      if (o.signal.aborted) break;
      const la = await send({ op: Operation.Retrieve, to: `${ae}/${o.pulled}/la` });
      o.out(`<<< user RETRIEVE ${ae}/${o.pulled}/la via the registrar: ${rscLabel(la.rsc)} ${valueOf(la)}`);
      const con = commands[i];
      if (con === undefined) continue;
      const cmd = await send({
        op: Operation.Create,
        to: `${ae}/${o.actuator}/command`,
        ty: ResourceType.ContentInstance,
        pc: { 'm2m:cin': { con } },
      });
      o.out(
        `<<< user CREATE "${con}" in ${ae}/${o.actuator}/command via the registrar: ${rscLabel(cmd.rsc)}`,
      );
    }
  } catch (err) {
    if (!o.signal.aborted) o.out(`!!! the demo user stopped: ${describeError(err)}`);
  } finally {
    await conn.close(1000, 'demo over', 1000);
  }
}

/** The first SenML value (and unit) of a retrieved contentInstance. */
function valueOf(rsp: ResponsePrimitive): string {
  const cin = rsp.pc?.['m2m:cin'] as { con?: unknown } | undefined;
  if (cin === undefined) return '';
  try {
    const first = (JSON.parse(String(cin.con)) as { v?: number; u?: string; bt?: number }[])[0];
    const v = typeof first?.v === 'number' ? String(Math.round(first.v * 100) / 100) : '?';
    const at = first?.bt === undefined ? '' : ` sampled ${new Date(first.bt * 1000).toISOString()}`;
    return `${v}${first?.u ? ` ${first.u}` : ''}${at}`;
  } catch {
    return String(cin.con);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
