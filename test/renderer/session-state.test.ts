/** What survives a reload of the page: stored values read back defensively, the saved Train form merged onto the preset. */
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { mergeSaved, recall, remember } from '../../renderer/src/lib/sessionState';
import { useAppStore } from '../../renderer/src/stores/app';
import { memoryStorage } from './fake-api';

describe('remember / recall', () => {
  let storage: Storage;
  beforeEach(() => {
    storage = memoryStorage();
    vi.stubGlobal('sessionStorage', storage);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("keeps JSON values in this tab's session storage and removes them on null", () => {
    remember('dataset', { root: '/data/emodb' });
    expect(recall('dataset')).toEqual({ root: '/data/emodb' });
    remember('dataset', null);
    expect(recall('dataset')).toBeUndefined();
  });

  it('reads broken JSON as nothing and survives a full storage', () => {
    storage.setItem('ser-state:dataset', '{"root": ');
    expect(recall('dataset')).toBeUndefined();
    const full = {
      ...memoryStorage(),
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    } as Storage;
    expect(() => remember('dataset', { root: '/x' }, full)).not.toThrow();
    expect(recall('dataset', null)).toBeUndefined();
  });
});

describe('mergeSaved (the Train form after a reload)', () => {
  const defaults = { name: '', model: 'crnn', epochs: '5', balancedSampler: false, testSpeakers: '' };

  it('takes the saved fields of the same type and keeps defaults for the rest', () => {
    const saved = { name: 'my run', epochs: '40', balancedSampler: true, testSpeakers: '03 08', removedField: 'x', model: 7 };
    expect(mergeSaved(defaults, saved)).toEqual({
      name: 'my run',
      model: 'crnn',
      epochs: '40',
      balancedSampler: true,
      testSpeakers: '03 08',
    });
  });

  it('falls back to the defaults for anything that is not a saved form', () => {
    for (const saved of [undefined, null, 'text', [1, 2], 42]) expect(mergeSaved(defaults, saved)).toEqual(defaults);
  });
});

describe('app store across a page reload', () => {
  beforeEach(() => vi.stubGlobal('sessionStorage', memoryStorage()));
  afterEach(() => vi.unstubAllGlobals());

  it('shows the view that was shown, and ignores a stored view that does not exist', async () => {
    setActivePinia(createPinia());
    useAppStore().show('runs');
    await nextTick();
    setActivePinia(createPinia());
    expect(useAppStore().view).toBe('runs');
    remember('view', 'settings');
    setActivePinia(createPinia());
    expect(useAppStore().view).toBe('dataset');
  });
});
