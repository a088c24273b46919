/**
 * Constructors for ProtocolError values, and the mapping of CONNACK return codes to them.
 * Errors are plain objects (no stack capture) so reporting one costs little and never throws.
 */
import { ConnackCode, type ProtocolError, type ProtocolErrorCode } from './packets';
import { describeReasonCode } from './reason-codes';
import { UTF8_INVALID, UTF8_NUL } from '../text/utf8';

export function protocolError(code: ProtocolErrorCode, message: string): ProtocolError {
  return { code, message };
}

/**
 * The named error for a refused connection, or undefined for ACCEPTED (0).
 * Codes above 5 are reserved [MQTT-3.2.2.3]; the decoder already rejects them, but a session may
 * see a number from elsewhere, so they map to CONNACK_INVALID_RETURN_CODE.
 */
export function connackError(code: number): ProtocolError | undefined {
  switch (code) {
    case ConnackCode.ACCEPTED:
      return undefined;
    case ConnackCode.UNACCEPTABLE_PROTOCOL_VERSION:
      return protocolError('CONNACK_UNACCEPTABLE_PROTOCOL_VERSION', 'connection refused: unacceptable protocol version (1)');
    case ConnackCode.IDENTIFIER_REJECTED:
      return protocolError('CONNACK_IDENTIFIER_REJECTED', 'connection refused: identifier rejected (2)');
    case ConnackCode.SERVER_UNAVAILABLE:
      return protocolError('CONNACK_SERVER_UNAVAILABLE', 'connection refused: server unavailable (3)');
    case ConnackCode.BAD_USERNAME_OR_PASSWORD:
      return protocolError('CONNACK_BAD_USERNAME_OR_PASSWORD', 'connection refused: bad user name or password (4)');
    case ConnackCode.NOT_AUTHORIZED:
      return protocolError('CONNACK_NOT_AUTHORIZED', 'connection refused: not authorized (5)');
    default:
      return protocolError('CONNACK_INVALID_RETURN_CODE', `CONNACK return code ${code} is reserved`);
  }
}

/**
 * Scanners (UTF-8 length, topic checks, the UTF-8 decoder) return these negative numbers instead
 * of allocating an error on the hot path; scanError turns one into a ProtocolError when needed.
 */
export const SCAN_INVALID_UTF8 = UTF8_INVALID; // -1, as ../text/utf8 reports it
export const SCAN_NULL_CHARACTER = UTF8_NUL; // -2
export const SCAN_WILDCARD_IN_TOPIC = -3;
export const SCAN_EMPTY_TOPIC = -4;
export const SCAN_INVALID_TOPIC_FILTER = -5;

/** `what` names the field, e.g. 'topic name', for the message. */
export function scanError(result: number, what: string): ProtocolError {
  switch (result) {
    case SCAN_INVALID_UTF8:
      return protocolError('INVALID_UTF8', `${what} is not well-formed UTF-8`);
    case SCAN_NULL_CHARACTER:
      return protocolError('NULL_CHARACTER', `${what} contains U+0000`);
    case SCAN_WILDCARD_IN_TOPIC:
      return protocolError('WILDCARD_IN_TOPIC', `${what} contains a wildcard (+ or #)`);
    case SCAN_EMPTY_TOPIC:
      return protocolError('EMPTY_TOPIC', `${what} is empty`);
    default:
      return protocolError('INVALID_TOPIC_FILTER', `${what} is not a valid topic filter`);
  }
}

/**
 * The named error for a refused MQTT 5.0 CONNACK (Connect Reason Code, 5.0 3.2.2.2), or
 * undefined for 0x00 Success. Codes with a 3.1.1 counterpart map to its name, so the policy
 * treats them alike (0x86 and 0x8C as bad credentials, 0x87 and 0x8A as not authorized, 0x88 and
 * 0x89 as server unavailable); the rest are CONNACK_REFUSED. The message names the code.
 */
export function connackError5(code: number, reasonString?: string): ProtocolError | undefined {
  if (code === 0) return undefined;
  const message = `connection refused: ${describeReasonCode(code)}${reasonString ? ` (${reasonString})` : ''}`;
  switch (code) {
    case 0x84:
      return protocolError('CONNACK_UNACCEPTABLE_PROTOCOL_VERSION', message);
    case 0x85:
      return protocolError('CONNACK_IDENTIFIER_REJECTED', message);
    case 0x86:
    case 0x8c:
      return protocolError('CONNACK_BAD_USERNAME_OR_PASSWORD', message);
    case 0x87:
    case 0x8a:
      return protocolError('CONNACK_NOT_AUTHORIZED', message);
    case 0x88:
    case 0x89:
      return protocolError('CONNACK_SERVER_UNAVAILABLE', message);
    default:
      return protocolError('CONNACK_REFUSED', message);
  }
}

/**
 * The DISCONNECT reason code a 5.0 client sends before closing for `error` [MQTT-4.13.1]:
 * 0x81 Malformed Packet for what could not be parsed, 0x93/0x94/0x95 for the limits, 0x82
 * Protocol Error otherwise.
 */
export function disconnectReasonFor(error: ProtocolError): number {
  switch (error.code) {
    case 'RECEIVE_MAXIMUM_EXCEEDED':
      return 0x93;
    case 'TOPIC_ALIAS_INVALID':
      return 0x94;
    case 'PACKET_TOO_LARGE':
      return 0x95;
    case 'UNEXPECTED_PACKET':
    case 'AUTH_NOT_HANDLED':
    case 'DUPLICATE_PROPERTY':
    case 'PROPERTY_NOT_ALLOWED':
    case 'INVALID_PROPERTY':
      return 0x82;
    default:
      return 0x81;
  }
}
