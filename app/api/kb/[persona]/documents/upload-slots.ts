import { env } from "@/lib/config/env";
import { AppError } from "@/lib/errors";
import { rejected } from "@/lib/metrics";

/** An upload takes seconds to minutes (reading, waiting for the write lock, ingesting): come back in a while. */
const RETRY_AFTER_S = 10;

export interface UploadSlot {
  /** Frees the upload's place; calling it again does nothing. */
  release(): void;
}

/**
 * Uploads in flight in this process, per administrator and in total, from before the body is read until the
 * ingest ends: each holds up to KB_MAX_UPLOAD_MB of memory, so without a bound a few stalled requests would hold
 * the web process's memory. Refused at once with Retry-After instead of queued: a queued upload holds its body too.
 */
export class UploadSlots {
  private total = 0;
  private readonly perAdmin = new Map<string, number>();

  constructor(private readonly limits: { perAdmin: number; total: number }) {}

  /** A place for one upload, or rate_limited (429) over the admin's share, unavailable (503) over the total. */
  acquire(admin: string): UploadSlot {
    const mine = this.perAdmin.get(admin) ?? 0;
    if (mine >= this.limits.perAdmin) {
      rejected("busy", "uploads");
      throw new AppError(
        "rate_limited",
        `busy: you have ${mine} uploads in progress, the most at once, retry in ${RETRY_AFTER_S} s`,
        { retryAfterS: RETRY_AFTER_S },
      );
    }
    if (this.total >= this.limits.total) {
      rejected("busy", "uploads");
      throw new AppError("unavailable", `busy: ${this.total} uploads are in progress, retry in ${RETRY_AFTER_S} s`, {
        retryAfterS: RETRY_AFTER_S,
      });
    }
    this.perAdmin.set(admin, mine + 1);
    this.total += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        const left = (this.perAdmin.get(admin) ?? 1) - 1;
        if (left > 0) this.perAdmin.set(admin, left);
        else this.perAdmin.delete(admin);
      },
    };
  }

  get inFlight(): number {
    return this.total;
  }
}

// One per process on `globalThis`, as lib/protection/admission.ts does: Next may evaluate this module more than once.
const KEY = Symbol.for("avatar-consult.upload-slots");
const shared = globalThis as typeof globalThis & { [KEY]?: UploadSlots };

export function uploadSlots(): UploadSlots {
  const e = env();
  shared[KEY] ??= new UploadSlots({ perAdmin: e.KB_UPLOADS_PER_ADMIN, total: e.KB_UPLOADS_IN_FLIGHT });
  return shared[KEY];
}
