export const PROTOCOL_DECODE_ERROR_CODE = "EDDY_PROTOCOL_DECODE";

/** Thrown by every decode helper of this package when the bytes are not a valid message. */
export class ProtocolDecodeError extends Error {
  override readonly name = "ProtocolDecodeError";
  readonly code: typeof PROTOCOL_DECODE_ERROR_CODE = PROTOCOL_DECODE_ERROR_CODE;
  /** Fully qualified protobuf name of the message that was being decoded. */
  readonly messageType: string;
  /** Length of the input that failed to decode. */
  readonly byteLength: number;

  constructor(messageType: string, byteLength: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`cannot decode ${messageType} from ${byteLength} bytes: ${reason}`, { cause });
    this.messageType = messageType;
    this.byteLength = byteLength;
  }
}
