import { normalizeEmotionLabel, type Emotion } from './labels';
import type { Gender, LabelScheme, ParsedName, ParseOutcome } from './types';

/** Splits a forward-slash relative path into its folders and the file name without extension. */
function splitRelPath(relPath: string): { dirs: string[]; stem: string } {
  const parts = relPath.split('/').filter((part) => part !== '');
  const fileName = parts.pop() ?? '';
  const dot = fileName.lastIndexOf('.');
  return { dirs: parts, stem: dot > 0 ? fileName.slice(0, dot) : fileName };
}

function lookup<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

// ---------------------------------------------------------------------------------------------
// CREMA-D: ActorID_Sentence_Emotion_Level, e.g. 1001_DFA_ANG_XX

const CREMA_D_EMOTIONS: Record<string, Emotion> = {
  ANG: 'anger',
  DIS: 'disgust',
  FEA: 'fear',
  HAP: 'happiness',
  NEU: 'neutral',
  SAD: 'sadness',
};
const CREMA_D_LEVELS = new Set(['LO', 'MD', 'HI', 'XX']);

/**
 * CREMA-D names carry no gender; the corpus keeps it in VideoDemographics.csv, which the scan reads
 * when present and passes in here.
 */
export function createCremaDScheme(genderByActor?: ReadonlyMap<string, Gender>): LabelScheme {
  return {
    name: 'crema-d',
    describe: 'CREMA-D: ActorID_Sentence_Emotion_Level (1001_DFA_ANG_XX.wav)',
    parse(relPath) {
      const match = /^(\d{4})_([a-z]{3})_([a-z]+)_([a-z]+)$/i.exec(splitRelPath(relPath).stem);
      if (!match) return null;
      const [, actor, sentence, emotionCode, level] = match as unknown as [string, string, string, string, string];
      const label = lookup(CREMA_D_EMOTIONS, emotionCode.toUpperCase());
      if (!label) return { error: `unknown CREMA-D emotion code '${emotionCode}' (expected ANG DIS FEA HAP NEU SAD)` };
      if (!CREMA_D_LEVELS.has(level.toUpperCase())) {
        return { error: `unknown CREMA-D intensity level '${level}' (expected LO MD HI XX)` };
      }
      const parsed: ParsedName = {
        label,
        speaker: actor,
        meta: { sentence: sentence.toUpperCase(), level: level.toUpperCase() },
      };
      const gender = genderByActor?.get(actor);
      if (gender) parsed.gender = gender;
      return parsed;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// RAVDESS: modality-channel-emotion-intensity-statement-repetition-actor, e.g. 03-01-05-01-02-01-12

const RAVDESS_EMOTIONS: Record<string, Emotion> = {
  '01': 'neutral',
  '02': 'calm',
  '03': 'happiness',
  '04': 'sadness',
  '05': 'anger',
  '06': 'fear',
  '07': 'disgust',
  '08': 'surprise',
};
const RAVDESS_CHANNELS: Record<string, string> = { '01': 'speech', '02': 'song' };
const RAVDESS_INTENSITIES: Record<string, string> = { '01': 'normal', '02': 'strong' };

export const ravdessScheme: LabelScheme = {
  name: 'ravdess',
  describe: 'RAVDESS: modality-channel-emotion-intensity-statement-repetition-actor (03-01-05-01-02-01-12.wav)',
  parse(relPath) {
    const { stem } = splitRelPath(relPath);
    const fields = stem.split('-');
    if (!/^\d+(-\d+)+$/.test(stem) || fields.length < 5) return null;
    if (fields.length !== 7 || fields.some((field) => field.length !== 2)) {
      return { error: 'RAVDESS names have 7 two-digit fields (modality-channel-emotion-intensity-statement-repetition-actor)' };
    }
    const [modality, channel, emotionCode, intensity, statement, repetition, actor] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (modality === '01' || modality === '02') {
      return { error: 'not an audio-only RAVDESS file (modality 01/02 is video)' };
    }
    if (modality !== '03') return { error: `unknown RAVDESS modality '${modality}' (audio-only is 03)` };
    const channelName = lookup(RAVDESS_CHANNELS, channel);
    if (!channelName) return { error: `unknown RAVDESS vocal channel '${channel}' (01 speech, 02 song)` };
    const label = lookup(RAVDESS_EMOTIONS, emotionCode);
    if (!label) return { error: `unknown RAVDESS emotion code '${emotionCode}' (expected 01-08)` };
    const intensityName = lookup(RAVDESS_INTENSITIES, intensity);
    if (!intensityName) return { error: `unknown RAVDESS intensity '${intensity}' (01 normal, 02 strong)` };
    const actorNumber = Number(actor);
    if (actorNumber === 0) return { error: "RAVDESS actor '00' does not exist (actors are 01-24)" };
    return {
      label,
      speaker: actor,
      gender: actorNumber % 2 === 1 ? 'male' : 'female',
      meta: { channel: channelName, intensity: intensityName, statement, repetition },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// EmoDB: speaker (2 digits) + text (3 chars) + emotion letter + version, e.g. 03a01Wa

const EMODB_EMOTIONS: Record<string, Emotion> = {
  W: 'anger',
  L: 'boredom',
  E: 'disgust',
  A: 'fear',
  F: 'happiness',
  T: 'sadness',
  N: 'neutral',
};
const EMODB_GENDERS: Record<string, Gender> = {
  '03': 'male',
  '08': 'female',
  '09': 'female',
  '10': 'male',
  '11': 'male',
  '12': 'male',
  '13': 'female',
  '14': 'female',
  '15': 'male',
  '16': 'female',
};

export const emodbScheme: LabelScheme = {
  name: 'emodb',
  describe: 'EmoDB: speaker, text, emotion letter, version (03a01Wa.wav)',
  parse(relPath) {
    const match = /^(\d{2})([a-z]\d{2})([a-z])([a-z])$/i.exec(splitRelPath(relPath).stem);
    if (!match) return null;
    const [, speaker, text, letter, version] = match as unknown as [string, string, string, string, string];
    const label = lookup(EMODB_EMOTIONS, letter.toUpperCase());
    if (!label) return { error: `unknown EmoDB emotion letter '${letter}' (expected W L E A F T N)` };
    const parsed: ParsedName = { label, speaker, meta: { text: text.toLowerCase(), version: version.toLowerCase() } };
    const gender = lookup(EMODB_GENDERS, speaker);
    if (gender) parsed.gender = gender;
    return parsed;
  },
};

// ---------------------------------------------------------------------------------------------
// TESS: SPEAKER_word_emotion, e.g. OAF_back_angry, YAF_dog_ps

const TESS_SPEAKERS = new Set(['OAF', 'YAF']);
const TESS_EMOTIONS = new Set<Emotion>(['anger', 'disgust', 'fear', 'happiness', 'neutral', 'surprise', 'sadness']);

/** Reads the emotion of a TESS folder such as `OAF_Fear`, `YAF_pleasant_surprised` or `angry`. */
function tessFolderEmotion(folder: string | undefined): Emotion | null {
  if (folder === undefined) return null;
  const match = /^(oaf|yaf)_(.+)$/i.exec(folder);
  return normalizeEmotionLabel(match ? match[2]! : folder);
}

export const tessScheme: LabelScheme = {
  name: 'tess',
  describe: 'TESS: speaker_word_emotion (OAF_back_angry.wav, YAF_dog_ps.wav)',
  parse(relPath) {
    const { dirs, stem } = splitRelPath(relPath);
    const parts = stem.trim().split('_');
    const speaker = parts[0]!.toUpperCase();
    if (!TESS_SPEAKERS.has(speaker)) return null;
    if (parts.length < 3) return { error: 'TESS names are SPEAKER_word_emotion (OAF_back_angry.wav)' };
    const word = parts[1]!.toLowerCase();
    const emotionText = parts.slice(2).join('_');
    const label = normalizeEmotionLabel(emotionText);
    if (!label || !TESS_EMOTIONS.has(label)) {
      return { error: `unknown TESS emotion '${emotionText}' (expected angry disgust fear happy neutral ps sad)` };
    }
    // The folder and the file name both state the emotion; a disagreement means one was renamed.
    const folderLabel = tessFolderEmotion(dirs[dirs.length - 1]);
    if (folderLabel && folderLabel !== label) {
      return { error: `file name says ${label} but its folder '${dirs[dirs.length - 1]}' says ${folderLabel}` };
    }
    return { label, speaker, gender: 'female', meta: { word } };
  },
};

// ---------------------------------------------------------------------------------------------
// SAVEE: DC_a01 or AudioData/DC/a01 (emotion code a d f h n sa su + sentence number)

const SAVEE_SPEAKERS = new Set(['DC', 'JE', 'JK', 'KL']);
const SAVEE_EMOTIONS: Record<string, Emotion> = {
  a: 'anger',
  d: 'disgust',
  f: 'fear',
  h: 'happiness',
  n: 'neutral',
  sa: 'sadness',
  su: 'surprise',
};

export const saveeScheme: LabelScheme = {
  name: 'savee',
  describe: 'SAVEE: SPEAKER_codeNN or SPEAKER/codeNN (DC_a01.wav, DC/su03.wav)',
  parse(relPath) {
    const { dirs, stem } = splitRelPath(relPath);
    let speaker: string;
    let code: string;
    let sentence: string;
    const prefixed = /^([a-z]{2})_([a-z]+)(\d+)$/i.exec(stem);
    const bare = /^([a-z]+)(\d+)$/i.exec(stem);
    const folder = (dirs[dirs.length - 1] ?? '').toUpperCase();
    if (prefixed && SAVEE_SPEAKERS.has(prefixed[1]!.toUpperCase())) {
      speaker = prefixed[1]!.toUpperCase();
      code = prefixed[2]!;
      sentence = prefixed[3]!;
    } else if (bare && SAVEE_SPEAKERS.has(folder)) {
      speaker = folder;
      code = bare[1]!;
      sentence = bare[2]!;
    } else {
      return null;
    }
    const label = lookup(SAVEE_EMOTIONS, code.toLowerCase());
    if (!label) return { error: `unknown SAVEE emotion code '${code}' (expected a d f h n sa su)` };
    return { label, speaker, gender: 'male', meta: { sentence } };
  },
};

// ---------------------------------------------------------------------------------------------
// Folder per class: angry/x.wav, angry/spk01/x.wav, spk01/angry/x.wav

export const folderPerClassScheme: LabelScheme = {
  name: 'folder-per-class',
  describe: 'one folder per emotion, optionally with a speaker folder above or below it (angry/spk01/x.wav)',
  parse(relPath) {
    const { dirs } = splitRelPath(relPath);
    const labels = dirs.map((dir) => normalizeEmotionLabel(dir));
    const labelIndex = labels.findLastIndex((label) => label !== null);
    if (labelIndex < 0) return null;
    const label = labels[labelIndex]!;
    const conflicting = dirs.filter((_, i) => labels[i] !== null && labels[i] !== label);
    if (conflicting.length > 0) {
      return { error: `two emotion folders in the path ('${conflicting[0]}' and '${dirs[labelIndex]}')` };
    }
    const speakerIndex = labels.findLastIndex((l) => l === null);
    return { label, speaker: speakerIndex >= 0 ? dirs[speakerIndex]! : '' };
  },
};

// ---------------------------------------------------------------------------------------------
// CSV manifest: the manifest has already been read and validated row by row.

export interface ManifestEntries {
  /** The manifest file, for messages. */
  path: string;
  /** Keyed by relPath (relative to the dataset root, forward slashes). */
  entries: ReadonlyMap<string, ParsedName | { error: string }>;
}

export function createCsvScheme(manifest: ManifestEntries): LabelScheme {
  return {
    name: 'csv',
    describe: `CSV manifest ${manifest.path} (path,label[,speaker][,gender])`,
    parse: (relPath): ParseOutcome => manifest.entries.get(relPath) ?? null,
  };
}
