/**
 * Named errors of the WebSocket binding client. Tests and logs match on `code`, never on message
 * text. `retryable` tells the link manager whether reconnecting later may help.
 */
import { AgentError, errorKind } from '../../util/errors.js';
import { TLS_FAILURES, type TlsFailure } from './tls-failure.js';

export type { TlsFailure };

/** Base class of every binding error, so callers can tell binding faults apart. */
export class WsError extends AgentError {
  override readonly name: string = 'WsError';
}

/** The connect options are unusable (bad URL, empty or unknown subprotocol offer, bad proxy URL). */
export class WsOptionsError extends errorKind(
  { code: 'WS_BAD_OPTIONS', hint: 'fix the registrar settings in the configuration' },
  WsError,
) {
  override readonly name = 'WsOptionsError';
}

/** The server accepted the upgrade without selecting any subprotocol (TS-0020 requires one). */
export class WsNoSubprotocolError extends WsError {
  override readonly name = 'WsNoSubprotocolError';
  constructor(readonly offered: readonly string[]) {
    super('WS_NO_SUBPROTOCOL', `server selected no subprotocol; offered: ${offered.join(', ')}`, {
      hint: 'the registrar supports none of the offered serializations: offer others (or their oneM2M.R2.0.* names)',
    });
  }
}

/** The server selected a subprotocol that was not offered. */
export class WsSubprotocolRejectedError extends WsError {
  override readonly name = 'WsSubprotocolRejectedError';
  constructor(
    readonly offered: readonly string[],
    readonly selected: string,
  ) {
    super(
      'WS_SUBPROTOCOL_REJECTED',
      `server selected "${selected}", which was not offered; offered: ${offered.join(', ')}`,
      {
        hint: 'the registrar answered with a subprotocol the agent never offered; check registrar.compat',
      },
    );
  }
}

/** The server's `Sec-WebSocket-Accept` does not match our key (RFC 6455 4.1, step 4 of the reply checks). */
export class WsBadAcceptError extends WsError {
  override readonly name = 'WsBadAcceptError';
  constructor(
    readonly expected: string,
    readonly received: string | undefined,
  ) {
    super(
      'WS_HANDSHAKE_BAD_ACCEPT',
      `Sec-WebSocket-Accept is "${received ?? '(missing)'}", expected "${expected}"`,
      {
        hint: 'the server (or something in between) is not a conforming WebSocket endpoint',
      },
    );
  }
}

/** The server answered the upgrade request with an HTTP status other than 101, or broke the handshake. */
export class WsHandshakeFailedError extends WsError {
  override readonly name = 'WsHandshakeFailedError';
  constructor(
    readonly status: number | undefined,
    detail: string,
    cause?: unknown,
  ) {
    super('WS_HANDSHAKE_FAILED', status === undefined ? detail : `HTTP ${status}: ${detail}`, {
      retryable: status === undefined || status >= 500 || status === 408 || status === 429,
      hint: 'check the registrar URL and that the registrar speaks the oneM2M WebSocket binding',
      cause,
    });
  }
}

/** The opening handshake (TCP, proxy tunnel, TLS and HTTP upgrade) did not finish in time. */
export class WsHandshakeTimeoutError extends WsError {
  override readonly name = 'WsHandshakeTimeoutError';
  constructor(readonly timeoutMs: number) {
    super('WS_HANDSHAKE_TIMEOUT', `opening handshake did not complete within ${timeoutMs} ms`, {
      retryable: true,
      hint: 'the registrar or the network is slow or dropping packets',
    });
  }
}

/** Nothing listens at the registrar's address. */
export class WsConnectionRefusedError extends WsError {
  override readonly name = 'WsConnectionRefusedError';
  constructor(address: string, cause?: unknown) {
    super('WS_CONNECTION_REFUSED', `connection refused by ${address}`, {
      retryable: true,
      hint: 'the registrar is down or the port is wrong',
      cause,
    });
  }
}

/** Any other network failure while connecting (DNS, unreachable host, reset). */
export class WsConnectFailedError extends WsError {
  override readonly name = 'WsConnectFailedError';
  constructor(
    address: string,
    readonly syscallCode: string | undefined,
    message: string,
    cause?: unknown,
  ) {
    super('WS_CONNECT_FAILED', `cannot connect to ${address}: ${syscallCode ?? ''} ${message}`.trim(), {
      retryable: true,
      hint: 'check the network and the registrar host name',
      cause,
    });
  }
}

/** TLS failed; `failure` says which certificate is at fault and the code and hint follow from it. */
export class WsTlsError extends WsError {
  override readonly name = 'WsTlsError';
  constructor(
    readonly failure: TlsFailure,
    /** The OpenSSL / Node error code, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`. */
    readonly tlsCode: string,
    message: string,
    cause?: unknown,
  ) {
    super(TLS_FAILURES[failure].code, `TLS: ${tlsCode}: ${message.trim()}`, {
      hint: TLS_FAILURES[failure].hint,
      cause,
    });
  }
}

/** The HTTP proxy refused the CONNECT tunnel. */
export class WsProxyRefusedError extends WsError {
  override readonly name = 'WsProxyRefusedError';
  constructor(
    readonly status: number,
    readonly target: string,
  ) {
    super('WS_PROXY_REFUSED', `proxy answered CONNECT ${target} with HTTP ${status}`, {
      retryable: status >= 500,
      hint:
        status === 407
          ? 'the proxy wants credentials: put user:pass in the proxy URL'
          : 'the proxy does not allow a tunnel to the registrar',
    });
  }
}

/** No response with the request's `rqi` arrived in time. */
export class WsRequestTimeoutError extends WsError {
  override readonly name = 'WsRequestTimeoutError';
  constructor(
    readonly rqi: string,
    readonly timeoutMs: number,
  ) {
    super('WS_REQUEST_TIMEOUT', `no response to rqi "${rqi}" within ${timeoutMs} ms`, {
      retryable: true,
      hint: 'the registrar is slow or lost the request',
    });
  }
}

/** The caller aborted the request through its `AbortSignal`. */
export class WsRequestAbortedError extends WsError {
  override readonly name = 'WsRequestAbortedError';
  constructor(
    readonly rqi: string,
    cause?: unknown,
  ) {
    super('WS_REQUEST_ABORTED', `request rqi "${rqi}" was aborted`, { cause });
  }
}

/** The link is closed (or closing): pending requests settle with this, and new ones are refused. */
export class WsLinkClosedError extends WsError {
  override readonly name = 'WsLinkClosedError';
  constructor(
    readonly closeCode: number | undefined,
    reason: string,
    cause?: unknown,
  ) {
    super(
      'WS_LINK_CLOSED',
      `link closed${closeCode === undefined ? '' : ` (${closeCode})`}${reason ? `: ${reason}` : ''}`,
      {
        retryable: true,
        hint: 'the request may or may not have reached the registrar; resend it after reconnecting',
        cause,
      },
    );
  }
}

/** A request with this `rqi` is already waiting for its response. */
export class WsDuplicateRqiError extends WsError {
  override readonly name = 'WsDuplicateRqiError';
  constructor(readonly rqi: string) {
    super('WS_DUPLICATE_RQI', `a request with rqi "${rqi}" is already in flight`, {
      hint: 'request identifiers must be unique among in-flight requests',
    });
  }
}

/** A message is larger than `maxMessageBytes` (incoming: closed with 1009, RFC 6455 7.4.1). */
export class WsMessageTooLargeError extends WsError {
  override readonly name = 'WsMessageTooLargeError';
  constructor(
    readonly direction: 'in' | 'out',
    readonly maxBytes: number,
    readonly bytes?: number,
  ) {
    super(
      'WS_MESSAGE_TOO_LARGE',
      `${direction === 'in' ? 'incoming' : 'outgoing'} message${bytes === undefined ? '' : ` of ${bytes} bytes`} exceeds ${maxBytes} bytes`,
      { hint: 'raise maxMessageBytes, or send smaller content' },
    );
  }
}

/** A frame type that cannot carry the negotiated serialization (closed with 1003, RFC 6455 7.4.1). */
export class WsFrameTypeError extends WsError {
  override readonly name = 'WsFrameTypeError';
  constructor(
    readonly frame: 'text' | 'binary',
    readonly subprotocol: string,
  ) {
    super(
      'WS_FRAME_TYPE',
      `${frame} frame cannot carry ${subprotocol} (TS-0020: CBOR binary, JSON/XML text)`,
      {
        hint: 'the peer uses the wrong WebSocket frame type for the negotiated subprotocol',
      },
    );
  }
}

/** A message that does not decode as a primitive and has no recoverable `rqi` (closed with 1007). */
export class WsMessageMalformedError extends WsError {
  override readonly name = 'WsMessageMalformedError';
  constructor(
    readonly rqi: string | undefined,
    message: string,
    cause?: unknown,
  ) {
    super('WS_MESSAGE_MALFORMED', message, {
      hint: 'the peer sent a message that is not a oneM2M primitive in the negotiated serialization',
      cause,
    });
  }
}

/** No pong arrived in time after a ping: the link is taken as half-open and dropped. */
export class WsPongTimeoutError extends WsError {
  override readonly name = 'WsPongTimeoutError';
  constructor(readonly pongTimeoutMs: number) {
    super('WS_PONG_TIMEOUT', `no pong within ${pongTimeoutMs} ms after a ping`, {
      retryable: true,
      hint: 'the connection is half-open or the registrar is stuck; the link will be replaced',
    });
  }
}

/** A WebSocket protocol violation by the peer, detected by `ws` (bad opcode, bad close code, ...). */
export class WsProtocolError extends WsError {
  override readonly name = 'WsProtocolError';
  constructor(
    readonly wsCode: string | undefined,
    message: string,
    cause?: unknown,
  ) {
    super('WS_PROTOCOL_ERROR', `${wsCode ?? 'socket'}: ${message}`, {
      retryable: true,
      hint: 'the peer broke the WebSocket protocol or the connection failed',
      cause,
    });
  }
}
