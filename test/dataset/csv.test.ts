import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../main/dataset';

describe('parseCsv', () => {
  it('splits plain records with LF or CRLF and skips blank lines', () => {
    expect(parseCsv('a,b\r\n1,2\n\n3,4\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('handles quoted fields with commas, doubled quotes and line breaks', () => {
    expect(parseCsv('path,label\n"a, b.wav","say ""hi"""\n"multi\nline.wav",sad')).toEqual([
      ['path', 'label'],
      ['a, b.wav', 'say "hi"'],
      ['multi\nline.wav', 'sad'],
    ]);
  });

  it('keeps empty fields and drops a byte-order mark', () => {
    expect(parseCsv('\uFEFFpath,label,speaker\nx.wav,,\n')).toEqual([
      ['path', 'label', 'speaker'],
      ['x.wav', '', ''],
    ]);
  });

  it('rejects an unterminated quote or text after a closing quote', () => {
    expect(() => parseCsv('path,label\n"x.wav,sad\n')).toThrow(/unterminated quoted field starting on line 2/);
    expect(() => parseCsv('path,label\n"x"y.wav,sad\n')).toThrow(/after a closing quote on line 2/);
  });
});
