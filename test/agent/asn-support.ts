/** Shared by the ASN role's end-to-end tests: its config, a user client, request builders. */
import assert from 'node:assert/strict';
import type { Harness } from '../helpers/agent-harness.js';
import { PlainClient } from '../helpers/plain-client.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/protocol/primitive.js';

export const CSE_ID = '/id-barn-gw-1';
export const NAME = 'barn-gw-1';
/** SP-relative address of the device `<AE>` in the agent's CSE. */
export const AE = `${CSE_ID}/${NAME}/${NAME}`;

/** An ASN-role config: a pushed counter, a pull-only counter, a switch; `Cuser` trusted. */
export function asnConfig(
  serialization: string,
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    node: { role: 'asn', name: NAME, cseId: CSE_ID, appId: 'Nm2m-agent-test' },
    trustedOriginators: ['Cuser'],
    serializations: [serialization],
    devices: [
      { name: 'counter', model: 'sim', params: { waveform: 'counter' }, sample: '* * * * * *' },
      { name: 'pulled', model: 'sim', params: { waveform: 'counter' }, sample: '* * * * * *', push: false },
      { name: 'switch', model: 'sim-switch' },
    ],
    ...over,
  };
}

/** A plain client registered with the registrar as the AE `stem`. */
export async function userClient(
  h: Harness,
  serialization: string,
  stem: string,
  headers?: Readonly<Record<string, string>>,
): Promise<PlainClient> {
  const c = await PlainClient.connect(h.registrar.url, {
    protocols: `oneM2M.${serialization}`,
    ...(headers ? { headers } : {}),
  });
  const rsp = await c.request({
    op: Operation.Create,
    to: 'cse-in',
    fr: stem,
    rqi: c.rqi(),
    rvi: '3',
    ty: ResourceType.AE,
    pc: { 'm2m:ae': { rn: stem.toLowerCase(), api: 'Nuser', rr: true, srv: ['3'] } },
  });
  assert.equal(rsp.rsc, 2001, JSON.stringify(rsp));
  return c;
}

let seq = 0;
export function req(
  op: RequestPrimitive['op'],
  to: string,
  fr: string,
  extra: Partial<RequestPrimitive> = {},
): RequestPrimitive {
  return { op, to, fr, rqi: `u${++seq}`, rvi: '3', ...extra };
}

/** The SenML pack in a contentInstance's `con`. */
export function pack(rsp: ResponsePrimitive): { bn?: string; v?: number }[] {
  const cin = rsp.pc?.['m2m:cin'] as { con?: unknown } | undefined;
  return JSON.parse(String(cin?.con)) as { bn?: string; v?: number }[];
}
