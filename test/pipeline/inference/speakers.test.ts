import { describe, expect, it } from 'vitest';
import { speakersFromNames } from '../../../main/pipeline/inference';

describe('speakersFromNames', () => {
  const files = ['/data/emodb/03a01Wa.wav', '/x/1001_DFA_ANG_XX.wav', '/y/03-01-05-01-02-01-12.wav', '/z/DC/a01.wav', '/w/recording.wav'];

  it("reads each file's speaker with the named corpus scheme, '' where the name does not follow it", () => {
    expect(speakersFromNames(files, 'emodb')).toEqual(['03', '', '', '', '']);
    expect(speakersFromNames(files, 'crema-d')).toEqual(['', '1001', '', '', '']);
    expect(speakersFromNames(files, 'savee')).toEqual(['', '', '', 'DC', '']);
  });

  it('auto takes the first corpus scheme that reads each name', () => {
    expect(speakersFromNames(files, 'auto')).toEqual(['03', '1001', '12', 'DC', '']);
  });
});
