import { z } from "zod";
import { AppError } from "@/lib/errors";
import type { IngestReport } from "@/lib/knowledge";

/** File types the admin may upload (the loaders parse each of these). */
export const UPLOAD_EXTENSIONS = [".pdf", ".docx", ".html", ".htm", ".md", ".txt", ".png", ".jpg", ".jpeg"] as const;

export interface UploadLimits {
  maxFileBytes: number;
  maxRequestBytes: number;
  maxFiles: number;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(n < 1024 * 1024 ? 2 : 1)} MB`;

export function uploadFileSchema(limits: UploadLimits) {
  return z.object({
    name: z
      .string()
      .min(1, "the file has no name")
      .max(255, "the file name is longer than 255 characters")
      .refine((n) => (UPLOAD_EXTENSIONS as readonly string[]).includes(extensionOf(n)), {
        message: `unsupported file type: upload ${UPLOAD_EXTENSIONS.join(" ")}`,
      }),
    size: z
      .number()
      .int()
      .positive("the file is empty")
      .max(limits.maxFileBytes, `the file is over the ${mb(limits.maxFileBytes)} limit`),
  });
}

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot).toLowerCase() : "";
}

/** The name without any folder part a browser may send (`webkitRelativePath`, Windows paths). */
export function baseName(name: string): string {
  return name.split(/[\\/]/).pop()?.trim() ?? "";
}

export interface ParsedUpload {
  accepted: { name: string; file: File }[];
  /** Files refused before parsing, already as error reports. */
  rejected: IngestReport[];
  /**
   * The multipart field `replace=true`: a file may replace a stored document that has the same document id under
   * another name (`report.md` over `Report.md`). It applies to every file of the upload; the admin page sends one
   * file per request, so there it is per file.
   */
  replace: boolean;
}

const ReplaceField = z.enum(["true", "false"], { message: "replace must be true or false" }).optional();

/**
 * Reads a multipart upload of one or many files (any field name) and checks each file's type and size. The
 * whole request is capped at `maxRequestBytes` while it streams in, whatever Content-Length claims.
 */
export async function parseUpload(req: Request, limits: UploadLimits): Promise<ParsedUpload> {
  const type = req.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("multipart/form-data")) {
    throw new AppError("unsupported_media_type", "send the files as multipart/form-data");
  }
  const declared = Number(req.headers.get("content-length") ?? "0");
  const tooLarge = () =>
    new AppError("payload_too_large", `the upload is over the ${mb(limits.maxRequestBytes)} limit for one request`);
  if (declared > limits.maxRequestBytes) throw tooLarge();
  if (!req.body) throw new AppError("bad_request", "the upload is empty");

  let seen = 0;
  let exceeded = false;
  const capped = req.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > limits.maxRequestBytes) {
          exceeded = true;
          controller.error(tooLarge());
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  let form: FormData;
  try {
    form = await new Response(capped, { headers: { "content-type": type } }).formData();
  } catch (err) {
    if (exceeded) throw tooLarge();
    throw new AppError("bad_request", "the upload is not valid multipart/form-data", { cause: err });
  }

  const files = [...form.values()].filter((v): v is File => typeof v !== "string");
  if (!files.length) throw new AppError("bad_request", "the upload holds no files");
  if (files.length > limits.maxFiles) {
    throw new AppError("payload_too_large", `at most ${limits.maxFiles} files per upload (got ${files.length})`);
  }
  const replace = ReplaceField.safeParse(form.get("replace") ?? undefined);
  if (!replace.success) throw new AppError("bad_request", replace.error.issues[0]?.message ?? "invalid replace");
  const schema = uploadFileSchema(limits);
  const out: ParsedUpload = { accepted: [], rejected: [], replace: replace.data === "true" };
  for (const file of files) {
    const name = baseName(file.name);
    const checked = schema.safeParse({ name, size: file.size });
    if (checked.success) out.accepted.push({ name, file });
    else {
      out.rejected.push({
        file: name || "(unnamed)",
        docId: "",
        status: "error",
        error: checked.error.issues[0]?.message ?? "invalid file",
        ms: 0,
      });
    }
  }
  return out;
}
