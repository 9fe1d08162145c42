/** XML serialization: placeholder until the XML codec lands. */
import type { Codec } from './codec.js';
import { CodecMalformedError } from './errors.js';

export const xmlCodec: Codec = {
  serialization: 'xml',
  frame: 'text',
  mediaType: 'application/xml',
  encode(): string {
    throw new CodecMalformedError('xml', 'not implemented yet');
  },
  decode(): never {
    throw new CodecMalformedError('xml', 'not implemented yet');
  },
};
