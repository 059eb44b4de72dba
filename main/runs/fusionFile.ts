/**
 * `fusion.json`: the versioned manifest of a fused checkpoint folder, which holds copies of two or
 * more checkpoints (`members/01`, …) whose class probabilities are averaged when it predicts.
 */
import { check, type JsonObject, type VersionedFormat } from '../util/versionedJson';

export const FUSION_FILE = 'fusion.json';

export interface FusionManifest {
  createdAt: string;
  /** The labels every member predicts, in its order. */
  labels: string[];
  /** Each member: its folder inside the fused one, where it was copied from, and its model. */
  members: { dir: string; from: string; modelName: string }[];
}

function validateFusion(o: JsonObject): FusionManifest {
  check.string(o.createdAt, 'createdAt');
  const labels = check.strings(o.labels, 'labels');
  if (labels.length < 2) throw new Error('labels must list at least two classes');
  if (!Array.isArray(o.members) || o.members.length < 2) throw new Error('members must list at least two checkpoints');
  o.members.forEach((m: unknown, i) => {
    const member = check.object(m, `members[${i}]`);
    const dir = check.string(member.dir, `members[${i}].dir`);
    if (!/^members\/\d{2,}$/.test(dir)) throw new Error(`members[${i}].dir must be a folder members/NN inside the fused checkpoint`);
    check.string(member.from, `members[${i}].from`);
    check.string(member.modelName, `members[${i}].modelName`);
  });
  return o as unknown as FusionManifest;
}

export const FUSION_FORMAT: VersionedFormat<FusionManifest> = { name: FUSION_FILE, current: 1, migrate: {}, validate: validateFusion };
