import { describe, expect, it } from 'vitest';
import {
  createCremaDScheme,
  emodbScheme,
  folderPerClassScheme,
  ravdessScheme,
  saveeScheme,
  tessScheme,
  type ParseOutcome,
} from '../../main/dataset';

function errorOf(outcome: ParseOutcome): string {
  if (outcome === null || !('error' in outcome)) throw new Error(`expected an error, got ${JSON.stringify(outcome)}`);
  return outcome.error;
}

describe('crema-d', () => {
  const scheme = createCremaDScheme();

  it('reads actor, emotion, sentence and level', () => {
    expect(scheme.parse('1001_DFA_ANG_XX.wav')).toEqual({
      label: 'anger',
      speaker: '1001',
      meta: { sentence: 'DFA', level: 'XX' },
    });
    expect(scheme.parse('sub/1091_TIE_SAD_HI.wav')).toMatchObject({ label: 'sadness', speaker: '1091' });
    for (const [code, label] of [
      ['DIS', 'disgust'],
      ['FEA', 'fear'],
      ['HAP', 'happiness'],
      ['NEU', 'neutral'],
    ]) {
      expect(scheme.parse(`1002_IEO_${code}_MD.wav`)).toMatchObject({ label });
    }
  });

  it('tolerates odd case', () => {
    expect(scheme.parse('1001_dfa_hap_lo.WAV')).toMatchObject({ label: 'happiness', speaker: '1001', meta: { level: 'LO' } });
  });

  it('knows no gender unless demographics are given', () => {
    expect(scheme.parse('1001_DFA_ANG_XX.wav')).not.toHaveProperty('gender');
    const withDemographics = createCremaDScheme(new Map([['1001', 'male']]));
    expect(withDemographics.parse('1001_DFA_ANG_XX.wav')).toMatchObject({ gender: 'male' });
    expect(withDemographics.parse('1002_DFA_ANG_XX.wav')).not.toHaveProperty('gender');
  });

  it('reports near misses and ignores other names', () => {
    expect(errorOf(scheme.parse('1001_DFA_XYZ_XX.wav'))).toMatch(/unknown CREMA-D emotion code 'XYZ'/);
    expect(errorOf(scheme.parse('1001_DFA_ANG_QQ.wav'))).toMatch(/intensity level 'QQ'/);
    expect(scheme.parse('03a01Wa.wav')).toBeNull();
    expect(scheme.parse('101_DFA_ANG_XX.wav')).toBeNull();
  });
});

describe('ravdess', () => {
  it('reads emotion, actor (as written), gender and meta', () => {
    expect(ravdessScheme.parse('Actor_12/03-01-05-01-02-01-12.wav')).toEqual({
      label: 'anger',
      speaker: '12',
      gender: 'female',
      meta: { channel: 'speech', intensity: 'normal', statement: '02', repetition: '01' },
    });
    expect(ravdessScheme.parse('03-02-02-02-01-02-01.WAV')).toMatchObject({
      label: 'calm',
      speaker: '01',
      gender: 'male',
      meta: { channel: 'song', intensity: 'strong' },
    });
    const labels = ['neutral', 'calm', 'happiness', 'sadness', 'anger', 'fear', 'disgust', 'surprise'];
    labels.forEach((label, i) => expect(ravdessScheme.parse(`03-01-0${i + 1}-01-01-01-07.wav`)).toMatchObject({ label }));
  });

  it('rejects video files, unknown codes and wrong field counts', () => {
    expect(errorOf(ravdessScheme.parse('01-01-05-01-02-01-12.wav'))).toBe('not an audio-only RAVDESS file (modality 01/02 is video)');
    expect(errorOf(ravdessScheme.parse('02-01-05-01-02-01-12.wav'))).toBe('not an audio-only RAVDESS file (modality 01/02 is video)');
    expect(errorOf(ravdessScheme.parse('03-01-09-01-02-01-12.wav'))).toMatch(/emotion code '09'/);
    expect(errorOf(ravdessScheme.parse('03-01-05-03-02-01-12.wav'))).toMatch(/intensity '03'/);
    expect(errorOf(ravdessScheme.parse('03-01-05-01-02-12.wav'))).toMatch(/7 two-digit fields/);
    expect(errorOf(ravdessScheme.parse('03-01-5-01-02-01-12.wav'))).toMatch(/7 two-digit fields/);
    expect(ravdessScheme.parse('2021-05-03.wav')).toBeNull();
    expect(ravdessScheme.parse('OAF_back_angry.wav')).toBeNull();
  });
});

describe('emodb', () => {
  it('reads speaker, emotion and gender', () => {
    expect(emodbScheme.parse('03a01Wa.wav')).toEqual({
      label: 'anger',
      speaker: '03',
      gender: 'male',
      meta: { text: 'a01', version: 'a' },
    });
    const letters: Record<string, string> = {
      W: 'anger',
      L: 'boredom',
      E: 'disgust',
      A: 'fear',
      F: 'happiness',
      T: 'sadness',
      N: 'neutral',
    };
    for (const [letter, label] of Object.entries(letters)) expect(emodbScheme.parse(`16b10${letter}b.wav`)).toMatchObject({ label });
    const genders: Record<string, string> = {
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
    for (const [speaker, gender] of Object.entries(genders))
      expect(emodbScheme.parse(`${speaker}a02Nc.wav`)).toMatchObject({ speaker, gender });
  });

  it('tolerates odd case and unknown speakers (no gender)', () => {
    expect(emodbScheme.parse('wav/03A01WA.WAV')).toMatchObject({ label: 'anger', speaker: '03' });
    expect(emodbScheme.parse('03a01wa.wav')).toMatchObject({ label: 'anger' });
    expect(emodbScheme.parse('99a01Wa.wav')).not.toHaveProperty('gender');
  });

  it('reports an unknown emotion letter instead of guessing', () => {
    expect(errorOf(emodbScheme.parse('03a01Xa.wav'))).toMatch(/unknown EmoDB emotion letter 'X'/);
    expect(emodbScheme.parse('03a01Wa2.wav')).toBeNull();
    expect(emodbScheme.parse('SOURCE.txt')).toBeNull();
  });
});

describe('tess', () => {
  it('reads speaker, word and emotion', () => {
    expect(tessScheme.parse('OAF_angry/OAF_back_angry.wav')).toEqual({
      label: 'anger',
      speaker: 'OAF',
      gender: 'female',
      meta: { word: 'back' },
    });
    expect(tessScheme.parse('YAF_pleasant_surprised/YAF_dog_ps.wav')).toMatchObject({ label: 'surprise', speaker: 'YAF' });
    for (const [word, label] of [
      ['disgust', 'disgust'],
      ['fear', 'fear'],
      ['happy', 'happiness'],
      ['neutral', 'neutral'],
      ['sad', 'sadness'],
    ]) {
      expect(tessScheme.parse(`YAF_${word}/YAF_bath_${word}.wav`)).toMatchObject({ label });
    }
  });

  it('tolerates the real corpus oddities', () => {
    expect(tessScheme.parse('OAF_Fear/OAF_back_fear.wav')).toMatchObject({ label: 'fear', speaker: 'OAF' });
    expect(tessScheme.parse('oaf_back_angry.WAV')).toMatchObject({ label: 'anger', speaker: 'OAF' });
    expect(tessScheme.parse('OAF_Pleasant_surprise/OAF_base_pleasant_surprised.wav')).toMatchObject({ label: 'surprise' });
    expect(tessScheme.parse('TESS Toronto emotional speech set data/YAF_happy/YAF_youth_happy.wav')).toMatchObject({ label: 'happiness' });
  });

  it('reports unknown emotions and folder/file disagreements', () => {
    expect(errorOf(tessScheme.parse('OAF_back_grumpy.wav'))).toMatch(/unknown TESS emotion 'grumpy'/);
    expect(errorOf(tessScheme.parse('OAF_back_calm.wav'))).toMatch(/unknown TESS emotion 'calm'/);
    expect(errorOf(tessScheme.parse('OAF_back.wav'))).toMatch(/SPEAKER_word_emotion/);
    expect(errorOf(tessScheme.parse('OAF_Sad/OAF_back_angry.wav'))).toMatch(/file name says anger but its folder 'OAF_Sad' says sadness/);
    expect(tessScheme.parse('XYZ_back_angry.wav')).toBeNull();
  });
});

describe('savee', () => {
  it('reads both layouts', () => {
    expect(saveeScheme.parse('DC_a01.wav')).toEqual({ label: 'anger', speaker: 'DC', gender: 'male', meta: { sentence: '01' } });
    expect(saveeScheme.parse('AudioData/JK/sa12.wav')).toMatchObject({ label: 'sadness', speaker: 'JK' });
    expect(saveeScheme.parse('AudioData/KL/su03.wav')).toMatchObject({ label: 'surprise', speaker: 'KL' });
    for (const [code, label] of [
      ['d', 'disgust'],
      ['f', 'fear'],
      ['h', 'happiness'],
      ['n', 'neutral'],
    ]) {
      expect(saveeScheme.parse(`JE_${code}07.wav`)).toMatchObject({ label, speaker: 'JE' });
    }
  });

  it('tolerates odd case', () => {
    expect(saveeScheme.parse('dc_SU01.WAV')).toMatchObject({ label: 'surprise', speaker: 'DC' });
    expect(saveeScheme.parse('audiodata/je/A01.wav')).toMatchObject({ label: 'anger', speaker: 'JE' });
  });

  it('reports unknown codes and ignores other speakers', () => {
    expect(errorOf(saveeScheme.parse('DC_x01.wav'))).toMatch(/unknown SAVEE emotion code 'x'/);
    expect(errorOf(saveeScheme.parse('AudioData/DC/sx01.wav'))).toMatch(/'sx'/);
    expect(saveeScheme.parse('AB_a01.wav')).toBeNull();
    expect(saveeScheme.parse('a01.wav')).toBeNull();
  });
});

describe('folder-per-class', () => {
  it('takes the label from the nearest emotion folder and the speaker from another folder', () => {
    expect(folderPerClassScheme.parse('angry/x.wav')).toEqual({ label: 'anger', speaker: '' });
    expect(folderPerClassScheme.parse('angry/spk01/x.wav')).toEqual({ label: 'anger', speaker: 'spk01' });
    expect(folderPerClassScheme.parse('spk01/Happy/x.wav')).toEqual({ label: 'happiness', speaker: 'spk01' });
    expect(folderPerClassScheme.parse('Neutral/Neutral/x.wav')).toEqual({ label: 'neutral', speaker: '' });
  });

  it('reports two different emotion folders and ignores files outside emotion folders', () => {
    expect(errorOf(folderPerClassScheme.parse('angry/happy/x.wav'))).toMatch(/two emotion folders/);
    expect(folderPerClassScheme.parse('x.wav')).toBeNull();
    expect(folderPerClassScheme.parse('spk01/x.wav')).toBeNull();
    expect(folderPerClassScheme.parse('angry.wav')).toBeNull();
  });
});
