// Figures read from /proc for a child process: CPU time (every thread, including libuv's pool
// where sqlite3 works) and resident memory. Linux only; elsewhere the figures are null.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of the process in milliseconds (resolution: one clock tick, usually 10 ms). */
export function cpuMs(pid: number): number | null {
  const split = cpuSplitMs(pid);
  return split ? split.user + split.system : null;
}

/** utime and stime of the process (every thread) in milliseconds: user space and the kernel. */
export function cpuSplitMs(pid: number): { user: number; system: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return { user: (utime * 1000) / clockTicks(), system: (stime * 1000) / clockTicks() };
  } catch {
    return null;
  }
}

/** VmRSS in bytes. */
export function rssBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** True when `taskset` can pin a process here (util-linux installed, affinity allowed). */
export function tasksetAvailable(): boolean {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
