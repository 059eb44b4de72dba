import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DatasetClip, DatasetOverview } from '../../main/api/contract';
import { setApi } from '../../renderer/src/api';
import { useDatasetStore } from '../../renderer/src/stores/dataset';
import { fakeApi, memoryStorage } from './fake-api';

function clip(relPath: string, label: DatasetClip['label'], speaker: string, durationS: number | null): DatasetClip {
  return { id: relPath, path: `/data/${relPath}`, relPath, label, speaker, gender: 'female', durationS };
}

function overview(root: string, clips: DatasetClip[]): DatasetOverview {
  return {
    root,
    openedAs: root,
    scheme: 'emodb',
    detection: 'detected from file names',
    clipCount: clips.length,
    totalDurationS: 10,
    labels: ['anger', 'sadness'],
    speakers: ['03', '10'],
    perClass: { anger: 2, sadness: 1 },
    perSpeaker: { '03': 2, '10': 1 },
    speakerByClass: { '03': { anger: 1, sadness: 1 }, '10': { anger: 1 } },
    genders: { female: 3, male: 0, unknown: 0 },
    duration: { minS: 1, medianS: 2, meanS: 2, maxS: 3 },
    durationHistogram: { edgesS: [1, 2, 3], counts: [1, 2] },
    sampleRates: [{ value: 16000, count: 3 }],
    skipped: [],
    unreadable: [],
    clips,
  };
}

const CLIPS = [clip('b.wav', 'anger', '10', 3), clip('a.wav', 'sadness', '03', 1), clip('c.wav', 'anger', '03', 2)];

describe('dataset store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('opens a dataset, passing the scheme only when one is chosen', async () => {
    const { api, calls } = fakeApi({ 'dataset.open': (args) => overview((args as { root: string }).root, CLIPS) });
    setApi(api);
    const store = useDatasetStore();
    await store.open('  /data/emodb ', 'auto');
    expect(calls).toEqual([{ name: 'dataset.open', args: { root: '/data/emodb' } }]);
    expect(store.overview?.root).toBe('/data/emodb');
    expect(store.openedScheme).toBeUndefined();
    expect(store.loading).toBe(false);
    expect(store.error).toBeNull();

    await store.open('/data/emodb', 'emodb');
    expect(calls[1]).toEqual({ name: 'dataset.open', args: { root: '/data/emodb', scheme: 'emodb' } });
    expect(store.openedScheme).toBe('emodb');
  });

  it('refuses an empty path without asking the engine', async () => {
    const { api, calls } = fakeApi({});
    setApi(api);
    const store = useDatasetStore();
    await store.open('   ');
    expect(calls).toHaveLength(0);
    expect(store.error).toMatch(/path/);
  });

  it('shows the engine error and keeps the dataset already open', async () => {
    let fail = false;
    const { api } = fakeApi({
      'dataset.open': (args) => {
        if (fail) throw new Error('no such folder');
        return overview((args as { root: string }).root, CLIPS);
      },
    });
    setApi(api);
    const store = useDatasetStore();
    await store.open('/data/good');
    fail = true;
    await store.open('/data/missing');
    expect(store.error).toBe('Could not open /data/missing: no such folder');
    expect(store.overview?.root).toBe('/data/good');
    expect(store.loading).toBe(false);
  });

  it('names the folder once when the engine names it too', async () => {
    const { api } = fakeApi({
      'dataset.open': (args) => {
        throw new Error(`folder not found: ${(args as { root: string }).root}`);
      },
    });
    setApi(api);
    const store = useDatasetStore();
    await store.open('/data/missing');
    expect(store.error).toBe('Could not open the dataset: folder not found: /data/missing');
  });

  it('keeps the answer of the latest open when answers arrive out of order', async () => {
    const pending = new Map<string, (value: DatasetOverview) => void>();
    const { api } = fakeApi({
      'dataset.open': (args) => {
        const root = (args as { root: string }).root;
        return new Promise<DatasetOverview>((resolve) => pending.set(root, resolve));
      },
    });
    setApi(api);
    const store = useDatasetStore();
    const first = store.open('/data/first');
    const second = store.open('/data/second');
    pending.get('/data/second')!(overview('/data/second', CLIPS));
    await second;
    expect(store.loading).toBe(false);
    pending.get('/data/first')!(overview('/data/first', CLIPS));
    await first;
    expect(store.overview?.root).toBe('/data/second');
  });

  it('filters and sorts the visible clips, and resets filters and selection on open', async () => {
    const { api } = fakeApi({ 'dataset.open': (args) => overview((args as { root: string }).root, CLIPS) });
    setApi(api);
    const store = useDatasetStore();
    await store.open('/data/x');
    expect(store.visibleClips.map((c) => c.relPath)).toEqual(['a.wav', 'b.wav', 'c.wav']);

    store.filters.label = 'anger';
    expect(store.visibleClips.map((c) => c.relPath)).toEqual(['b.wav', 'c.wav']);
    store.sortBy('duration');
    expect(store.visibleClips.map((c) => c.relPath)).toEqual(['c.wav', 'b.wav']);
    store.sortBy('duration');
    expect(store.visibleClips.map((c) => c.relPath)).toEqual(['b.wav', 'c.wav']);
    store.filters.speaker = '03';
    expect(store.visibleClips.map((c) => c.relPath)).toEqual(['c.wav']);

    store.selectClip('/data/c.wav');
    expect(store.selectedClipPath).toBe('/data/c.wav');
    await store.open('/data/y');
    expect(store.selectedClipPath).toBeNull();
    expect(store.filters).toEqual({ label: '', speaker: '', text: '' });
    expect(store.visibleClips).toHaveLength(3);
  });

  it('picks a folder with the native dialog, and reports a failing dialog', async () => {
    let fail = false;
    const { api, calls } = fakeApi({
      'dialog.pickFolder': () => {
        if (fail) throw new Error('type a path instead');
        return { path: '/picked' };
      },
    });
    setApi(api);
    const store = useDatasetStore();
    expect(await store.pickFolder()).toBe('/picked');
    expect(calls[0]!.name).toBe('dialog.pickFolder');
    fail = true;
    expect(await store.pickFolder()).toBeNull();
    expect(store.error).toBe('type a path instead');
  });
});

describe('dataset store across a page reload', () => {
  beforeEach(() => {
    setActivePinia(createPinia());
    vi.stubGlobal('sessionStorage', memoryStorage());
  });
  afterEach(() => vi.unstubAllGlobals());

  it('opens the dataset that was open before the reload, with its scheme', async () => {
    const { api, calls } = fakeApi({ 'dataset.open': (args) => overview((args as { root: string }).root, CLIPS) });
    setApi(api);
    await useDatasetStore().open(' /data/emodb ', 'emodb');

    setActivePinia(createPinia()); // the reloaded page: fresh stores, same tab storage
    const reloaded = useDatasetStore();
    expect(reloaded.overview).toBeNull();
    await reloaded.restore();
    expect(reloaded.overview?.root).toBe('/data/emodb');
    expect(reloaded.openedScheme).toBe('emodb');
    expect(calls.at(-1)).toEqual({ name: 'dataset.open', args: { root: '/data/emodb', scheme: 'emodb' } });
  });

  it('keeps the last dataset that opened, not one that failed, and restores nothing on a fresh tab', async () => {
    const { api, calls } = fakeApi({
      'dataset.open': (args) => {
        const root = (args as { root: string }).root;
        if (root === '/missing') throw new Error('folder not found: /missing');
        return overview(root, CLIPS);
      },
    });
    setApi(api);
    const fresh = useDatasetStore();
    await fresh.restore();
    expect(calls).toEqual([]);

    await fresh.open('/data/emodb');
    await fresh.open('/missing');
    setActivePinia(createPinia());
    const reloaded = useDatasetStore();
    await reloaded.restore();
    expect(reloaded.overview?.root).toBe('/data/emodb');
    expect(calls.at(-1)).toEqual({ name: 'dataset.open', args: { root: '/data/emodb' } });
  });
});
