/**
 * Runs a WASI (preview1) command-line program to completion with everything in memory: arguments in, stdout and
 * stderr captured, files it writes under one preopened folder kept as byte arrays. Only the calls a one-shot
 * converter such as flite makes are provided. This replaces `node:wasi`, whose instances, when garbage-collected
 * in the middle of another instance's write, abort the process on Node 20 (uvwasi destroys a mutex still held).
 */

const ERRNO = { success: 0, badf: 8, inval: 28, nosys: 52 } as const;
const FILETYPE = { characterDevice: 2, directory: 3, regularFile: 4 } as const;
const ALL_RIGHTS = 0xffff_ffff_ffff_ffffn;
const PREOPEN_FD = 3;

export interface WasiRun {
  exitCode: number;
  stdout: string;
  /** Files the program wrote, by their path under the preopened folder (e.g. "u0.wav"). */
  files: Map<string, Uint8Array>;
}

/** Thrown by `proc_exit` to unwind the program's stack back to `runWasi`. */
class Exit {
  constructor(readonly code: number) {}
}

/** A file opened for writing: bytes, a length, and a position that `fd_seek` may move back (WAV headers). */
class MemoryFile {
  bytes = new Uint8Array(64 * 1024);
  length = 0;
  position = 0;

  write(chunk: Uint8Array): void {
    const end = this.position + chunk.length;
    if (end > this.bytes.length) {
      const grown = new Uint8Array(Math.max(end, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(chunk, this.position);
    this.position = end;
    this.length = Math.max(this.length, end);
  }
}

export function runWasi(module: WebAssembly.Module, args: string[], preopen: string): WasiRun {
  const encoder = new TextEncoder();
  const argv = args.map((a) => encoder.encode(`${a}\0`));
  const preopenName = encoder.encode(preopen);
  const stdout: Uint8Array[] = [];
  const open = new Map<number, { name: string; file: MemoryFile }>();
  const files = new Map<string, MemoryFile>();
  let nextFd = PREOPEN_FD + 1;
  let memory: WebAssembly.Memory | undefined;
  const view = () => new DataView((memory as WebAssembly.Memory).buffer);
  const bytes = (ptr: number, len: number) => new Uint8Array((memory as WebAssembly.Memory).buffer, ptr, len);

  const imports = {
    args_sizes_get(countPtr: number, sizePtr: number): number {
      view().setUint32(countPtr, argv.length, true);
      view().setUint32(
        sizePtr,
        argv.reduce((n, a) => n + a.length, 0),
        true,
      );
      return ERRNO.success;
    },
    args_get(argvPtr: number, bufPtr: number): number {
      let at = bufPtr;
      for (const [i, a] of argv.entries()) {
        view().setUint32(argvPtr + i * 4, at, true);
        bytes(at, a.length).set(a);
        at += a.length;
      }
      return ERRNO.success;
    },
    clock_time_get(_id: number, _precision: bigint, timePtr: number): number {
      view().setBigUint64(timePtr, BigInt(Date.now()) * 1_000_000n, true);
      return ERRNO.success;
    },
    fd_write(fd: number, iovs: number, iovsLen: number, writtenPtr: number): number {
      let written = 0;
      for (let i = 0; i < iovsLen; i++) {
        const ptr = view().getUint32(iovs + i * 8, true);
        const len = view().getUint32(iovs + i * 8 + 4, true);
        const chunk = bytes(ptr, len);
        if (fd === 1 || fd === 2) stdout.push(chunk.slice());
        else {
          const target = open.get(fd);
          if (!target) return ERRNO.badf;
          target.file.write(chunk);
        }
        written += len;
      }
      view().setUint32(writtenPtr, written, true);
      return ERRNO.success;
    },
    fd_read(fd: number, _iovs: number, _iovsLen: number, readPtr: number): number {
      if (fd !== 0) return ERRNO.badf; // nothing is readable; stdin is empty
      view().setUint32(readPtr, 0, true);
      return ERRNO.success;
    },
    fd_seek(fd: number, offset: bigint, whence: number, newOffsetPtr: number): number {
      const target = open.get(fd);
      if (!target) return ERRNO.badf;
      const base = whence === 0 ? 0 : whence === 1 ? target.file.position : target.file.length;
      const position = base + Number(offset);
      if (position < 0) return ERRNO.inval;
      target.file.position = position;
      view().setBigUint64(newOffsetPtr, BigInt(position), true);
      return ERRNO.success;
    },
    fd_close(fd: number): number {
      return open.delete(fd) ? ERRNO.success : ERRNO.badf;
    },
    fd_fdstat_get(fd: number, statPtr: number): number {
      const type =
        fd <= 2
          ? FILETYPE.characterDevice
          : fd === PREOPEN_FD
            ? FILETYPE.directory
            : open.has(fd)
              ? FILETYPE.regularFile
              : 0;
      if (!type) return ERRNO.badf;
      const v = view();
      v.setUint8(statPtr, type);
      v.setUint16(statPtr + 2, 0, true);
      v.setBigUint64(statPtr + 8, ALL_RIGHTS, true);
      v.setBigUint64(statPtr + 16, ALL_RIGHTS, true);
      return ERRNO.success;
    },
    fd_fdstat_set_flags(): number {
      return ERRNO.success;
    },
    fd_prestat_get(fd: number, prestatPtr: number): number {
      if (fd !== PREOPEN_FD) return ERRNO.badf; // ends the program's scan of preopened folders
      view().setUint8(prestatPtr, 0);
      view().setUint32(prestatPtr + 4, preopenName.length, true);
      return ERRNO.success;
    },
    fd_prestat_dir_name(fd: number, pathPtr: number, pathLen: number): number {
      if (fd !== PREOPEN_FD) return ERRNO.badf;
      bytes(pathPtr, Math.min(pathLen, preopenName.length)).set(preopenName.subarray(0, pathLen));
      return ERRNO.success;
    },
    path_open(dirFd: number, _dirFlags: number, pathPtr: number, pathLen: number, ...rest: unknown[]): number {
      if (dirFd !== PREOPEN_FD) return ERRNO.badf;
      const fdPtr = rest[rest.length - 1] as number;
      const name = new TextDecoder().decode(bytes(pathPtr, pathLen));
      // Every open is for writing an output file: a fresh, empty one.
      const file = new MemoryFile();
      files.set(name, file);
      const fd = nextFd++;
      open.set(fd, { name, file });
      view().setUint32(fdPtr, fd, true);
      return ERRNO.success;
    },
    proc_exit(code: number): never {
      throw new Exit(code);
    },
  };

  const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: imports });
  memory = instance.exports.memory as WebAssembly.Memory;
  let exitCode = 0;
  try {
    (instance.exports._start as () => void)();
  } catch (err) {
    if (!(err instanceof Exit)) throw err;
    exitCode = err.code;
  }
  return {
    exitCode,
    stdout: new TextDecoder().decode(Buffer.concat(stdout)),
    files: new Map([...files].map(([name, f]) => [name, f.bytes.slice(0, f.length)])),
  };
}
