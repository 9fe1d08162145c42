/** The validated configuration (shape in design.md, "Configuration"). Produced by `config/load.ts`. */
import type { Serialization } from '../codec/subprotocol.js';
import type { EventCategoryName } from '../protocol/codes.js';

export type Role = 'adn' | 'asn';
export type CompatPresetName = 'standard' | 'acme' | 'mobius';

/** Registrar quirk switches; a preset fills them, explicit keys in `registrar.compat` override. */
export interface CompatSwitches {
  /**
   * How subprotocols are offered: `preference` (all configured, in order, one header),
   * `cbor-alone` (ACME: offer `oneM2M.cbor` alone when CBOR is preferred; fall back to JSON if refused),
   * `legacy-json-first` (Mobius: `oneM2M.R2.0.json` first, JSON only).
   */
  readonly subprotocolOffer: 'preference' | 'cbor-alone' | 'legacy-json-first';
  /** Send `X-M2M-Origin: <originator>` in the handshake (ACME identifies connections by it). */
  readonly originHeader: boolean;
  /** Send `csz` (the serializations we accept) in the registration; Mobius 2.4 fails (5000) on any `csz`. */
  readonly sendCsz: boolean;
  /** `poa` of the `<AE>` (ACME delivers notifications only to a `ws://` entry; `ws://default` = this link). */
  readonly poa: readonly string[];
  /** Requests in flight at once (ACME mishandles pipelining: 1). */
  readonly maxInFlight: number;
  /**
   * Least ms between a response of ours and our next request, and the other way round (ACME loses
   * a frame that follows another too closely); 0: no spacing.
   */
  readonly minFrameGapMs: number;
  /** The registrar sends notifications over our connection; if false, poll command containers. */
  readonly notificationsOverLink: boolean;
  /** Seconds between polls of command containers' `la` when notifications cannot reach us. */
  readonly pollCommandsSeconds: number;
}

export interface TlsConfig {
  /** Paths to PEM files. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Skip certificate verification (logged as a warning at every connect). */
  readonly insecure?: boolean;
}

export interface RegistrarConfig {
  readonly url: string;
  readonly cseId: string;
  /** The registrar's SP-ID (`acme.example.com`): absolute originators naming it are ours. */
  readonly spId?: string;
  readonly cseName: string;
  readonly tls?: TlsConfig;
  readonly proxy?: string;
  readonly compatPreset: CompatPresetName;
  readonly compat: CompatSwitches;
}

export interface NodeConfig {
  readonly role: Role;
  readonly name: string;
  readonly appId: string;
  /** Requested AE-ID stem; `C`, `S` or undefined lets the registrar assign one. */
  readonly originator?: string;
  /** ASN role: own SP-relative CSE-ID (`/id-barn-gw-1`). */
  readonly cseId?: string;
  /** ASN role: seconds between checks that the registrar still holds our `<remoteCSE>` (0: only on connect). */
  readonly registrationCheckSeconds?: number;
}

export interface ManagementConfig {
  /** Publish the `<node>`, its management objects and the health container. */
  readonly enabled: boolean;
  /** Seconds between checks of the changing values (memory, battery, health). */
  readonly updateSeconds: number;
  /** Configuration patches through the registrar (`config/remote-patch.ts`). */
  readonly remoteConfig: { readonly enabled: boolean; readonly allowConnection: boolean };
}

export interface BufferConfig {
  readonly maxBytes: number;
  readonly maxAgeSeconds: number;
  /** Fsync batching interval. */
  readonly fsyncIntervalMs: number;
  /** Give each contentInstance a resource name derived from stream and sequence, so retries are idempotent. */
  readonly idempotentNames: boolean;
}

export interface LinkConfig {
  readonly pingIntervalSeconds: number;
  /** Offer permessage-deflate (used only if the registrar accepts it). */
  readonly compression: boolean;
  readonly pongTimeoutSeconds: number;
  readonly requestTimeoutSeconds: number;
  /** Grace for in-flight requests when a window closes. */
  readonly closeGraceSeconds: number;
  /** Close an always-on link idle this long (0: never). */
  readonly idleCloseSeconds: number;
  readonly backoffFloorMs: number;
  readonly backoffCapMs: number;
}

export interface ContainerAttributes {
  readonly mni?: number;
  readonly mbs?: number;
  readonly mia?: number;
}

export type ContentFormat = 'senml+json' | 'senml+cbor';

export interface DeviceConfig {
  readonly name: string;
  readonly model: string;
  /** From the model file: the driver that runs it (`sim`, `gpio-input`, `pms5003`, ...). */
  readonly driver: string;
  /** From the model file: actuators get a command container and a subscription. */
  readonly kind: 'sensor' | 'actuator';
  /** From the model file: the readings it produces, with SenML units. */
  readonly readings: readonly { readonly name: string; readonly unit?: string }[];
  /** Model defaults merged with the device's own params. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Six-field cron (seconds first) for periodic sampling; undefined: event-driven only. */
  readonly sample?: string;
  readonly eventCategory: EventCategoryName;
  readonly container: ContainerAttributes;
  readonly contentFormat: ContentFormat;
  /** Report only when the value changed by more than this (numbers) or changed at all. */
  readonly deadband?: number;
  /** ASN role: also push readings to the registrar (undefined = true); false: kept in the agent's CSE only (pull). */
  readonly push?: boolean;
}

export interface AgentConfig {
  readonly registrar: RegistrarConfig;
  readonly node: NodeConfig;
  readonly serializations: readonly Serialization[];
  readonly releaseVersion: string;
  readonly stateDir: string;
  /** oneM2M scheduleElement strings (7 fields, UTC); undefined: always connected. */
  readonly schedule?: readonly string[];
  readonly buffer: BufferConfig;
  readonly link: LinkConfig;
  /** Originators allowed to send us requests; the registrar's CSE-ID is always trusted. */
  readonly trustedOriginators: readonly string[];
  readonly contentFormat: ContentFormat;
  readonly devices: readonly DeviceConfig[];
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  readonly metrics?: { readonly textfile: string };
  readonly management: ManagementConfig;
  /** Where the file was read from (for messages). */
  readonly source: string;
}
