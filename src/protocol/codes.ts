/** oneM2M enumerations (TS-0004 clause 6.3), numeric on the wire. */

/** Operation (`op`). */
export const Operation = { Create: 1, Retrieve: 2, Update: 3, Delete: 4, Notify: 5 } as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

/** Resource type (`ty`). */
export const ResourceType = {
  AccessControlPolicy: 1,
  AE: 2,
  Container: 3,
  ContentInstance: 4,
  CSEBase: 5,
  Group: 9,
  LocationPolicy: 10,
  MgmtObj: 13,
  Node: 14,
  PollingChannel: 15,
  RemoteCSE: 16,
  Request: 17,
  Schedule: 18,
  Subscription: 23,
  SemanticDescriptor: 24,
  FlexContainer: 28,
  TimeSeries: 29,
  TimeSeriesInstance: 30,
} as const;
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];

/** The `m2m:` short name of each resource type's content root (`m2m:ae`, `m2m:cnt`, ...). */
export const RESOURCE_SHORT_NAME: Readonly<Record<number, string>> = {
  1: 'acp',
  2: 'ae',
  3: 'cnt',
  4: 'cin',
  5: 'cb',
  9: 'grp',
  10: 'lcp',
  13: 'mgo',
  14: 'nod',
  15: 'pch',
  16: 'csr',
  17: 'req',
  18: 'sch',
  23: 'sub',
  24: 'smd',
  28: 'fcnt',
  29: 'ts',
  30: 'tsi',
};

/** Result content (`rcn`). */
export const ResultContent = {
  Nothing: 0,
  Attributes: 1,
  HierarchicalAddress: 2,
  HierarchicalAddressAndAttributes: 3,
  AttributesAndChildResources: 4,
  AttributesAndChildResourceReferences: 5,
  ChildResourceReferences: 6,
  OriginalResource: 7,
  ChildResources: 8,
  ModifiedAttributes: 9,
  SemanticContent: 10,
  DiscoveryResultReferences: 11,
} as const;

/** Event category (`ec`), TS-0004 6.3.3.2.1 (user-defined 100-999 also allowed). */
export const EventCategory = { Immediate: 2, BestEffort: 3, Latest: 4 } as const;
export type EventCategoryName = 'immediate' | 'bestEffort' | 'latest';
export const EVENT_CATEGORY_BY_NAME: Readonly<Record<EventCategoryName, number>> = {
  immediate: 2,
  bestEffort: 3,
  latest: 4,
};

/** Response type value (`rt.rtv`). */
export const ResponseType = {
  NonBlockingSynch: 1,
  NonBlockingAsynch: 2,
  Blocking: 3,
  FlexBlocking: 4,
  NoResponse: 5,
} as const;

/** Notification event type (`enc.net`). */
export const NotificationEventType = {
  UpdateOfResource: 1,
  DeleteOfResource: 2,
  CreateOfDirectChild: 3,
  DeleteOfDirectChild: 4,
} as const;

/** Notification content type (`nct`). */
export const NotificationContentType = {
  AllAttributes: 1,
  ModifiedAttributes: 2,
  ResourceId: 3,
  TriggerPayload: 4,
  TimeSeriesNotification: 5,
} as const;

/** Management definition (`mgd`) of a `<mgmtObj>` specialization, TS-0004 6.3.4.2.x. */
export const MgmtDefinition = {
  Firmware: 1001,
  Software: 1002,
  Memory: 1003,
  AreaNwkInfo: 1004,
  AreaNwkDeviceInfo: 1005,
  Battery: 1006,
  DeviceInfo: 1007,
  DeviceCapability: 1008,
  Reboot: 1009,
  EventLog: 1010,
} as const;

/** CSE type (`cst`). */
export const CseType = { IN: 1, MN: 2, ASN: 3 } as const;

/** Response status codes (`rsc`), TS-0004 6.6.3. */
export const Rsc = {
  ACCEPTED: 1000,
  OK: 2000,
  CREATED: 2001,
  DELETED: 2002,
  UPDATED: 2004,
  BAD_REQUEST: 4000,
  RELEASE_VERSION_NOT_SUPPORTED: 4001,
  NOT_FOUND: 4004,
  OPERATION_NOT_ALLOWED: 4005,
  REQUEST_TIMEOUT: 4008,
  UNSUPPORTED_MEDIA_TYPE: 4015,
  SUBSCRIPTION_CREATOR_HAS_NO_PRIVILEGE: 4101,
  CONTENTS_UNACCEPTABLE: 4102,
  ORIGINATOR_HAS_NO_PRIVILEGE: 4103,
  CONFLICT: 4105,
  ORIGINATOR_NOT_AUTHENTICATED: 4106,
  SECURITY_ASSOCIATION_REQUIRED: 4107,
  INVALID_CHILD_RESOURCE_TYPE: 4108,
  ORIGINATOR_HAS_ALREADY_REGISTERED: 4117,
  APP_RULE_VALIDATION_FAILED: 4126,
  INTERNAL_SERVER_ERROR: 5000,
  NOT_IMPLEMENTED: 5001,
  TARGET_NOT_REACHABLE: 5103,
  RECEIVER_HAS_NO_PRIVILEGE: 5105,
  ALREADY_EXISTS: 5106,
  REMOTE_ENTITY_NOT_REACHABLE: 5107,
  TARGET_NOT_SUBSCRIBABLE: 5203,
  SUBSCRIPTION_VERIFICATION_INITIATION_FAILED: 5204,
  SUBSCRIPTION_HOST_HAS_NO_PRIVILEGE: 5205,
  NON_BLOCKING_SYNCH_REQUEST_NOT_SUPPORTED: 5206,
  NOT_ACCEPTABLE: 5207,
} as const;
export type RscName = keyof typeof Rsc;

const RSC_NAMES = new Map<number, string>(Object.entries(Rsc).map(([k, v]) => [v, k]));

/** `4004 NOT_FOUND`, for log lines. */
export function rscLabel(rsc: number): string {
  return `${rsc} ${RSC_NAMES.get(rsc) ?? 'UNKNOWN'}`;
}

export function isSuccess(rsc: number): boolean {
  return rsc >= 2000 && rsc < 3000;
}

/** Release version indicators this agent understands (TS-0004 6.3.3.2.x; no "1": R1 has no `rvi`). */
export const RELEASE_VERSIONS = ['2', '2a', '3', '4', '5'] as const;
export type ReleaseVersion = (typeof RELEASE_VERSIONS)[number];
