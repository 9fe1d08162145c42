/** The CSEBase this CSE starts with, and the resource types it serves. */
import { RELEASE_VERSIONS, ResourceType } from '../protocol/codes.js';
import { aeHandler } from './ae.js';
import { containerHandler } from './container.js';
import { contentInstanceHandler } from './content-instance.js';
import { mgmtObjHandler, nodeHandler } from './management.js';
import type { HandlerTable } from './operations.js';
import { remoteCseHandler } from './remote-cse.js';
import { scheduleHandler } from './schedule.js';
import { subscriptionHandler } from './subscription.js';
import type { ResourceNode } from './tree.js';

/** The resource types the CSEBase announces in `srt`. */
const SUPPORTED_RESOURCE_TYPES = [
  ResourceType.AE,
  ResourceType.Container,
  ResourceType.ContentInstance,
  ResourceType.CSEBase,
  ResourceType.RemoteCSE,
  ResourceType.Schedule,
  ResourceType.Subscription,
];

export function checkIdentity(cseId: string, cseName: string): void {
  if (!/^\/[^/]+$/.test(cseId)) throw new TypeError(`cseId must look like /id-in, got ${cseId}`);
  if (!/^[^/#?\s]+$/.test(cseName)) throw new TypeError(`cseName must be one path segment, got ${cseName}`);
}

/** The root of the resource tree, created at `now`. */
export function cseBase(cseId: string, cseName: string, cseType: number, now: string): ResourceNode {
  return {
    ty: ResourceType.CSEBase,
    ri: cseId.slice(1),
    rn: cseName,
    pi: undefined,
    attrs: {
      ct: now,
      lt: now,
      csi: cseId,
      cst: cseType,
      srt: [...SUPPORTED_RESOURCE_TYPES],
      srv: RELEASE_VERSIONS.filter((v) => v !== '2'),
      csz: ['application/json', 'application/cbor', 'application/xml'],
      poa: [],
    },
    children: [],
    meta: {},
  };
}

export function handlerTable(randomStem: () => string): HandlerTable {
  return Object.fromEntries(
    [
      aeHandler({ randomStem }),
      containerHandler,
      contentInstanceHandler,
      subscriptionHandler,
      scheduleHandler,
      remoteCseHandler,
      nodeHandler,
      mgmtObjHandler,
    ].map((h) => [h.ty, h]),
  );
}
