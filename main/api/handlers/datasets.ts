/** The datasets area: opening a dataset folder and viewing one of its clips. */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { probeAudioFile } from '../../audio';
import { scanDataset, summarizeDataset } from '../../dataset';
import { buildClipView, warmUpClipViews } from '../clipView';
import { request, SCHEME_FIELD, type AreaTable } from './engine';

export const datasetRequests: AreaTable<'dataset.open' | 'clip.view'> = {
  'dataset.open': request({ root: { kind: 'path', exists: 'folder' }, scheme: SCHEME_FIELD }, async ({ workspace }, args) => {
    const openedAs = resolve(args.root);
    warmUpClipViews();
    const scan = await scanDataset(openedAs, { scheme: args.scheme ?? 'auto' });
    workspace.allowDataset(
      scan.root,
      scan.clips.map((clip) => clip.path),
    );
    // The summary keeps aggregates only: note each clip's duration as its (header-only) probe runs.
    const durations = new Map<string, number>();
    const summary = await summarizeDataset(scan, async (path) => {
      const probe = await probeAudioFile(path);
      if (Number.isFinite(probe.durationS) && probe.durationS >= 0) durations.set(path, probe.durationS);
      return probe;
    });
    return {
      root: realpathSync(scan.root),
      openedAs,
      scheme: scan.scheme,
      detection: scan.detection,
      clipCount: summary.clipCount,
      totalDurationS: summary.totalDurationS,
      labels: summary.labels,
      speakers: summary.speakers,
      perClass: summary.perClass,
      perSpeaker: summary.perSpeaker,
      speakerByClass: summary.speakerByClass,
      genders: summary.genders,
      duration: summary.duration,
      durationHistogram: summary.durationHistogram,
      sampleRates: summary.sampleRates,
      skipped: scan.skipped.map((s) => ({ relPath: s.relPath, reason: s.reason })),
      unreadable: summary.unreadable.map((u) => ({ relPath: u.relPath, reason: u.reason })),
      clips: scan.clips.map((clip) => ({
        id: clip.id,
        path: clip.path,
        relPath: clip.relPath,
        label: clip.label,
        speaker: clip.speaker,
        gender: clip.gender ?? 'unknown',
        durationS: durations.get(clip.path) ?? null,
      })),
    };
  }),

  'clip.view': request({ path: { kind: 'path', confine: 'opened' } }, async (_engine, args) => buildClipView(args.path)),
};
