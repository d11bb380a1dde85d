import type { ErrorCode } from "@eddy/sdk";

/** The body of every error the admin server answers. */
export interface AdminErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string };
}

export function adminErrorBody(code: ErrorCode, message: string): AdminErrorBody {
  return { error: { code, message } };
}
