/**
 * @module agent/runtime/pause-image
 * The docker sandbox's "pause" program, without a registry: a hand-assembled
 * static ELF (x86_64 and aarch64) that sets SIGTERM/SIGINT handlers calling
 * exit_group(0), sets SIGCHLD to SIG_IGN (so orphans re-parented to it in a
 * shared PID namespace are reaped by the kernel), then blocks forever in
 * pause()/ppoll(). As PID 1 a process only receives signals it handles, so the
 * handlers are what make `docker stop` end it at once.
 *
 * Layout: one PT_LOAD segment (R+X) at 0x400000 holding the 64-byte ELF
 * header, the 56-byte program header and the code at 0x400078; the
 * sigaction structs sit after the code (handler address, 0, 0, 0 — zero flags,
 * restorer and mask, so the struct reads the same with or without the
 * sa_restorer field).
 */
import { tar } from "./tar.ts";

export const PAUSE_IMAGE_VERSION = "1";
export const PAUSE_IMAGE = `localhost/kite/pause:${PAUSE_IMAGE_VERSION}`;

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!.map((b) => parseInt(b, 16)));

/*
 * x86_64 (as --64, base 0x400078):
 *   lea rsi,[rip+act]; xor edx,edx; mov r10d,8
 *   mov edi,15; mov eax,13; syscall          rt_sigaction(SIGTERM, act, 0, 8)
 *   mov edi,2;  mov eax,13; syscall          rt_sigaction(SIGINT,  act, 0, 8)
 *   lea rsi,[rip+ign]; mov edi,17; mov eax,13; syscall   rt_sigaction(SIGCHLD, SIG_IGN)
 * loop: mov eax,34; syscall; jmp loop        pause()
 * handler: xor edi,edi; mov eax,231; syscall exit_group(0)
 * act: .quad 0x4000bb,SA_RESTORER,0x4000bb,0   ign: .quad 1,0,0,0
 * (x86_64 refuses to deliver to a handler without SA_RESTORER; the handler
 * never returns, so the restorer is never used.)
 */
const CODE_X86_64 = hex(`
488d3549000000 31d2 41ba08000000
bf0f000000 b80d000000 0f05
bf02000000 b80d000000 0f05
488d3542000000 bf11000000 b80d000000 0f05
b822000000 0f05 ebf7
31ff b8e7000000 0f05 0f1f4000
bb00400000000000 0000000400000000 bb00400000000000 0000000000000000
0100000000000000 0000000000000000 0000000000000000 0000000000000000`);

/*
 * aarch64 (base 0x400078):
 *   adr x1,act; mov x2,#0; mov x3,#8
 *   mov x0,#15; mov x8,#134; svc #0          rt_sigaction(SIGTERM, act, 0, 8)
 *   mov x0,#2;  mov x8,#134; svc #0          rt_sigaction(SIGINT,  act, 0, 8)
 *   adr x1,ign; mov x0,#17; mov x8,#134; svc #0   rt_sigaction(SIGCHLD, SIG_IGN)
 * loop: mov x0..x4,#0; mov x8,#73; svc #0; b loop   ppoll(NULL,0,NULL,NULL,0)
 * handler: mov x0,#0; mov x8,#94; svc #0     exit_group(0)
 * act: .quad 0x4000cc,0,0,0   ign: .quad 1,0,0,0
 */
const CODE_AARCH64 = hex(`
01030010 020080d2 030180d2
e00180d2 c81080d2 010000d4
400080d2 c81080d2 010000d4
e1020010 200280d2 c81080d2 010000d4
000080d2 010080d2 020080d2 030080d2 040080d2 280980d2 010000d4 f9ffff17
000080d2 c80b80d2 010000d4
cc00400000000000 0000000000000000 0000000000000000 0000000000000000
0100000000000000 0000000000000000 0000000000000000 0000000000000000`);

const BASE = 0x400000;
const EHDR = 64;
const PHDR = 56;

export type PauseArch = "x86_64" | "aarch64";

/** The pause ELF for an architecture. */
export function pauseElf(arch: PauseArch): Uint8Array {
  const code = arch === "x86_64" ? CODE_X86_64 : CODE_AARCH64;
  const machine = arch === "x86_64" ? 62 : 183;
  const size = EHDR + PHDR + code.length;
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]); // \x7fELF, 64-bit, little-endian, version 1, SysV
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, machine, true);
  v.setUint32(20, 1, true); // EV_CURRENT
  v.setBigUint64(24, BigInt(BASE + EHDR + PHDR), true); // e_entry
  v.setBigUint64(32, BigInt(EHDR), true); // e_phoff
  v.setBigUint64(40, 0n, true); // e_shoff
  v.setUint32(48, 0, true); // e_flags
  v.setUint16(52, EHDR, true); // e_ehsize
  v.setUint16(54, PHDR, true); // e_phentsize
  v.setUint16(56, 1, true); // e_phnum
  v.setUint16(58, 64, true); // e_shentsize
  v.setUint16(60, 0, true); // e_shnum
  v.setUint16(62, 0, true); // e_shstrndx
  const p = EHDR;
  v.setUint32(p, 1, true); // PT_LOAD
  v.setUint32(p + 4, 5, true); // PF_R | PF_X
  v.setBigUint64(p + 8, 0n, true); // p_offset
  v.setBigUint64(p + 16, BigInt(BASE), true); // p_vaddr
  v.setBigUint64(p + 24, BigInt(BASE), true); // p_paddr
  v.setBigUint64(p + 32, BigInt(size), true); // p_filesz
  v.setBigUint64(p + 40, BigInt(size), true); // p_memsz
  v.setBigUint64(p + 48, 0x1000n, true); // p_align
  b.set(code, EHDR + PHDR);
  return b;
}

/** Maps process.arch to the ELF flavour; throws for architectures kite does not ship. */
export function hostPauseArch(arch: string = process.arch): PauseArch {
  if (arch === "x64") return "x86_64";
  if (arch === "arm64") return "aarch64";
  throw new Error(`no pause program for architecture ${arch}`);
}

/** The root filesystem tarball of the pause image: just /pause. */
export function pauseRootfs(arch: PauseArch = hostPauseArch()): Uint8Array {
  return tar([{ type: "file", path: "pause", data: pauseElf(arch), mode: 0o755 }]);
}
