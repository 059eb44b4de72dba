/**
 * RFC 4180 CSV: fields separated by commas, records by CRLF or LF, fields optionally quoted with
 * double quotes, a quote inside a quoted field written twice. Quoted fields may contain commas and
 * line breaks. A leading byte-order mark is dropped; blank lines are skipped.
 * Throws on an unterminated quoted field or text after a closing quote.
 */
export function parseCsv(text: string): string[][] {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let fieldStarted = false;

  const endField = (): void => {
    record.push(field);
    field = '';
    fieldStarted = false;
  };
  const endRecord = (): void => {
    endField();
    const blank = record.length === 1 && record[0] === '';
    if (!blank) records.push(record);
    record = [];
  };

  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '"' && !fieldStarted) {
      const start = lineNumberAt(source, i);
      i++;
      for (;;) {
        if (i >= source.length) throw new Error(`unterminated quoted field starting on line ${start}`);
        const q = source[i]!;
        if (q === '"') {
          if (source[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += q;
        i++;
      }
      fieldStarted = true;
      const next = source[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
        throw new Error(`unexpected text after a closing quote on line ${lineNumberAt(source, i)}`);
      }
      continue;
    }
    if (ch === ',') {
      endField();
      i++;
    } else if (ch === '\r' || ch === '\n') {
      endRecord();
      i += ch === '\r' && source[i + 1] === '\n' ? 2 : 1;
    } else {
      field += ch;
      fieldStarted = true;
      i++;
    }
  }
  if (fieldStarted || record.length > 0) endRecord();
  return records;
}

function lineNumberAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text[i] === '\n') line++;
  return line;
}
