/** The serve-mode bridge: token handling and the request/event protocol over a (fake) socket. */
import { describe, expect, it } from 'vitest';
import { createSocketApi, EngineError, refusalReason, socketUrlFor, takeToken, WRONG_TOKEN_MESSAGE } from '../../renderer/src/bridge';
import { describeBackend } from '../../renderer/src/lib/backendText';
import type { BackendInfo } from '../../main/api/contract';
import { memoryStorage } from './fake-api';

class FakeSocket {
  static last: FakeSocket;
  sent: string[] = [];
  private listeners = new Map<string, ((event: unknown) => void)[]>();
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
  addEventListener(type: string, listener: (event: unknown) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  send(text: string) {
    this.sent.push(text);
  }
  fire(type: string, event: unknown = {}) {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
  reply(message: object) {
    this.fire('message', { data: JSON.stringify(message) });
  }
}

describe('serve-mode bridge', () => {
  it('takes the token from the URL once, hides it, and keeps it for reloads of the tab', () => {
    const storage = memoryStorage();
    const replaced: string[] = [];
    const history = { replaceState: (_s: unknown, _t: string, url: string) => replaced.push(url) } as unknown as History;
    expect(takeToken({ href: 'http://127.0.0.1:5317/?token=abc&x=1#h' } as Location, history, storage)).toBe('abc');
    expect(replaced).toEqual(['/?x=1#h']);
    expect(takeToken({ href: 'http://127.0.0.1:5317/' } as Location, history, storage)).toBe('abc');
    expect(takeToken({ href: 'http://127.0.0.1:5317/' } as Location, history, memoryStorage())).toBeNull();
  });

  it('builds the socket URL on the page host', () => {
    expect(socketUrlFor({ protocol: 'http:', host: '127.0.0.1:5317' } as Location, 'a b')).toBe('ws://127.0.0.1:5317/api?token=a%20b');
  });

  it('matches replies to requests, delivers events, and rejects with the engine error', async () => {
    const api = createSocketApi('ws://x/api?token=t', FakeSocket as unknown as typeof WebSocket);
    const socket = FakeSocket.last;
    const info = api.invoke('app.info', {});
    const runs = api.invoke('runs.list', {});
    socket.fire('open');
    await new Promise((r) => setTimeout(r, 0));
    const [first, second] = socket.sent.map((s) => JSON.parse(s) as { id: number; name: string });
    expect([first!.name, second!.name]).toEqual(['app.info', 'runs.list']);
    socket.reply({ id: second!.id, ok: false, error: { code: 'forbidden', message: 'no' } });
    socket.reply({ id: first!.id, ok: true, value: { name: 'SER Workbench' } });
    await expect(info).resolves.toEqual({ name: 'SER Workbench' });
    await expect(runs).rejects.toMatchObject({ code: 'forbidden', message: 'no' });
    const seen: unknown[] = [];
    const off = api.on('runs.changed', (payload) => seen.push(payload));
    socket.reply({ event: 'runs.changed', payload: { runId: 'r1' } });
    off();
    socket.reply({ event: 'runs.changed', payload: { runId: 'r2' } });
    expect(seen).toEqual([{ runId: 'r1' }]);
  });

  it('fails pending requests and tells the UI when the connection drops', async () => {
    const api = createSocketApi('ws://x/api?token=t', FakeSocket as unknown as typeof WebSocket);
    const socket = FakeSocket.last;
    const lost: string[] = [];
    api.onDisconnect((message) => lost.push(message));
    socket.fire('open');
    const pending = api.invoke('jobs.list', {});
    await new Promise((r) => setTimeout(r, 0));
    socket.fire('close', { reason: '' });
    await expect(pending).rejects.toBeInstanceOf(EngineError);
    expect(lost[0]).toContain('closed');
  });

  it('says the token is wrong when the socket is refused before it opens, not that the engine closed', async () => {
    const api = createSocketApi('ws://x/api?token=old', FakeSocket as unknown as typeof WebSocket, () =>
      refusalReason('ws://x/api?token=old', fakeFetch(401)),
    );
    const socket = FakeSocket.last;
    const lost: string[] = [];
    api.onDisconnect((message) => lost.push(message));
    const pending = api.invoke('app.info', {});
    socket.fire('error');
    socket.fire('close', { reason: '' });
    await expect(pending).rejects.toMatchObject({ code: 'disconnected', message: WRONG_TOKEN_MESSAGE });
    expect(lost).toEqual([WRONG_TOKEN_MESSAGE]);
    expect(WRONG_TOKEN_MESSAGE).toContain('open the address `npm run serve` printed');
  });

  it('asks the token check on the page host, and tells a stopped server from a wrong token', async () => {
    const asked: string[] = [];
    const fetchSpy = ((url: string) => {
      asked.push(url);
      return Promise.resolve({ status: 204 } as Response);
    }) as unknown as typeof fetch;
    await refusalReason('ws://127.0.0.1:5317/api?token=t', fetchSpy);
    expect(asked).toEqual(['http://127.0.0.1:5317/api/token-check?token=t']);
    expect(await refusalReason('ws://127.0.0.1:5317/api?token=t', fakeFetch(401))).toBe(WRONG_TOKEN_MESSAGE);
    const down = (() => Promise.reject(new TypeError('Failed to fetch'))) as unknown as typeof fetch;
    expect(await refusalReason('ws://127.0.0.1:5317/api?token=t', down)).toMatch(
      /^cannot reach the engine at 127\.0\.0\.1:5317: is `npm run serve` still running\?/,
    );
  });
});

function fakeFetch(status: number): typeof fetch {
  return (() => Promise.resolve({ status } as Response)) as unknown as typeof fetch;
}

describe('backend description', () => {
  it('says plainly when tensorflow-gpu runs without a GPU, and what it needs', () => {
    const text = describeBackend({
      name: 'tensorflow-gpu',
      tfBackend: 'tensorflow',
      skipped: [],
      gpu: { found: false, detail: 'nvidia-smi lists no GPU' },
      version: '4.22.0',
    });
    expect(text.device).toBe('cpu');
    expect(text.badge).toBe('tensorflow-gpu · CPU');
    expect(text.details.join('\n')).toContain('CUDA 11.2 and cuDNN 8.1');
  });

  it('names the wasm backend, its threads and the skipped native ones', () => {
    const text = describeBackend({
      name: 'wasm',
      tfBackend: 'wasm',
      threads: 2,
      skipped: [{ name: 'tensorflow', reason: '@tensorflow/tfjs-node is not installed' }],
      version: '4.22.0',
    });
    expect(text.badge).toBe('wasm · CPU, 2 threads');
    expect(text.title).toBe('wasm (tfjs wasm, 2 threads, 4.22.0)');
    expect(text.details).toEqual(['tensorflow not used: @tensorflow/tfjs-node is not installed']);
  });

  it('names the WebGPU adapter, says GPU only for a hardware one, and names one auto passed over', () => {
    const adapter = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200', software: false };
    const gpu = describeBackend({ name: 'webgpu', tfBackend: 'webgpu', skipped: [], version: 'tfjs-backend-webgpu 4.22.0', adapter });
    expect(gpu.device).toBe('gpu');
    expect(gpu.badge).toBe('webgpu · GPU');
    expect(gpu.title).toBe('webgpu (tfjs webgpu, NVIDIA H200 (nvidia hopper), tfjs-backend-webgpu 4.22.0)');
    const swiftshader = {
      vendor: 'google',
      architecture: 'swiftshader',
      device: 'x',
      description: 'SwiftShader driver 5.0.0',
      software: true,
    };
    const software = describeBackend({ name: 'webgpu', tfBackend: 'webgpu', skipped: [], version: '4.22.0', adapter: swiftshader });
    expect(software.device).toBe('cpu');
    expect(software.badge).toBe('webgpu · software GPU');
    const wasm = describeBackend({
      name: 'wasm',
      tfBackend: 'wasm',
      threads: 1,
      skipped: [{ name: 'webgpu', reason: 'only a software adapter was found' }],
      version: '4.22.0',
      adapter: swiftshader,
    });
    expect(wasm.details).toContain('WebGPU adapter passed over: SwiftShader driver 5.0.0 (google swiftshader), software adapter');
  });

  it('names the BLAS that runs the conv layers, or says why there is none', () => {
    const base: BackendInfo = { name: 'wasm', tfBackend: 'wasm', threads: 2, skipped: [], version: '4.22.0' };
    const withBlas = describeBackend({
      ...base,
      blas: { active: true, description: 'OpenBLAS 0.3.21 (Haswell)', library: 'libopenblas.so.0', threads: 2 },
    });
    expect(withBlas.title).toBe('wasm (tfjs wasm, 2 threads, 4.22.0, conv layers and matmuls on OpenBLAS 0.3.21 (Haswell))');
    expect(withBlas.details).toEqual([]);
    const blas = { active: true as const, description: 'OpenBLAS 0.3.21 (Haswell)', library: 'libopenblas.so.0', threads: 2 };
    const withDnnl = describeBackend({ ...base, blas: { ...blas, dnnl: { active: true, description: 'oneDNN 2.6.3' } } });
    expect(withDnnl.title).toBe(
      'wasm (tfjs wasm, 2 threads, 4.22.0, oneDNN 2.6.3 for conv layers, batch norm and pooling, matmuls on OpenBLAS 0.3.21 (Haswell))',
    );
    const dnnlOff = describeBackend({ ...base, blas: { ...blas, dnnl: { active: false, reason: 'turned off by SER_DNNL_LIBRARY=none' } } });
    expect(dnnlOff.details).toEqual(['convs on the BLAS, not oneDNN: turned off by SER_DNNL_LIBRARY=none']);
    const without = describeBackend({ ...base, blas: { active: false, reason: 'no BLAS library found (install OpenBLAS)' } });
    expect(without.details).toEqual(['no BLAS for the conv layers (slower training): no BLAS library found (install OpenBLAS)']);
  });
});
