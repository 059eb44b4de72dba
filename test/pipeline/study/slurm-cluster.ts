/**
 * A throw-away single-node Slurm cluster for tests: munged, slurmctld and slurmd from Debian's
 * slurm-wlm and munge, run in the foreground as child processes with a generated slurm.conf in a
 * temporary folder (free ports, own munge socket and key). Needs root. `startSlurmCluster`
 * resolves to the cluster, or to the reason it cannot run here.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface SlurmCluster {
  dir: string;
  /** Environment for clients (sbatch, squeue, our CLI): SLURM_CONF points at the generated config. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

function which(binary: string): string | null {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin']) {
    try {
      execFileSync('test', ['-x', join(dir, binary)]);
      return join(dir, binary);
    } catch {
      // not here
    }
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => done(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startSlurmCluster(): Promise<SlurmCluster | { skip: string }> {
  if (process.platform !== 'linux') return { skip: 'Slurm tests run on Linux only' };
  if (process.getuid?.() !== 0) return { skip: 'starting slurmctld/slurmd needs root' };
  const binaries = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo'];
  const paths = Object.fromEntries(binaries.map((b) => [b, which(b)]));
  const missing = binaries.filter((b) => !paths[b]);
  if (missing.length > 0) return { skip: `${missing.join(', ')} not installed (apt-get install slurm-wlm munge)` };

  const dir = mkdtempSync(join(tmpdir(), 'ser-slurm-'));
  chmodSync(dir, 0o755); // munged wants the socket's folder reachable by everyone
  mkdirSync(join(dir, 'state'));
  mkdirSync(join(dir, 'spool'));
  writeFileSync(join(dir, 'munge.key'), randomBytes(1024), { mode: 0o600 });
  const host = hostname().split('.')[0]!;
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=sertest',
      `SlurmctldHost=${host}`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'AuthType=auth/munge',
      `AuthInfo=socket=${join(dir, 'munge.sock')}`,
      'CredType=cred/munge',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'SchedulerType=sched/backfill',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'MpiDefault=none',
      'ReturnToService=2',
      `NodeName=${host} CPUs=${availableParallelism()} State=UNKNOWN`,
      `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = { SLURM_CONF: conf };
  const children: ChildProcess[] = [];
  const start = (command: string, args: string[], log: string) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => chunks.push(c));
    child.stderr!.on('data', (c: Buffer) => chunks.push(c));
    child.on('exit', () => writeFileSync(join(dir, log), Buffer.concat(chunks)));
    children.push(child);
    return () => Buffer.concat(chunks).toString('utf8');
  };
  const stop = async () => {
    for (const child of [...children].reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(5000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const mungeOut = start(
    paths.munged!,
    [
      '-F',
      '-f',
      `--key-file=${join(dir, 'munge.key')}`,
      `--socket=${join(dir, 'munge.sock')}`,
      `--pid-file=${join(dir, 'munged.pid')}`,
      `--log-file=${join(dir, 'munged.log')}`,
      `--seed-file=${join(dir, 'munged.seed')}`,
    ],
    'munged.out',
  );
  await sleep(500);
  const ctldOut = start(paths.slurmctld!, ['-D', '-i', '-f', conf], 'slurmctld.out');
  await sleep(1000);
  const dOut = start(paths.slurmd!, ['-D', '-f', conf], 'slurmd.out');
  for (let i = 0; i < 40; i++) {
    await sleep(500);
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) {
      const out =
        [mungeOut(), ctldOut(), dOut()]
          .join('\n')
          .trim()
          .split('\n')
          .filter((l) => /error|fatal/i.test(l))
          .at(-1) ?? 'no output';
      await stop();
      return { skip: `a Slurm daemon stopped at start: ${out}` };
    }
    try {
      const state = execFileSync(paths.sinfo!, ['-h', '-o', '%t'], { env: { ...process.env, ...env }, timeout: 5000 })
        .toString()
        .trim();
      if (/^(idle|mix|alloc)/.test(state)) return { dir, env, stop };
    } catch {
      // the controller is not answering yet
    }
  }
  const tail = readFileSync(join(dir, 'slurmctld.log'), 'utf8').trim().split('\n').at(-1) ?? '';
  await stop();
  return { skip: `the single-node cluster did not come up within 20 s (${tail})` };
}
