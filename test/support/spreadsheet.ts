/**
 * The cells of a CSV text as a spreadsheet reads them (RFC 4180 quotes taken away, nothing else),
 * and the cells among them that a spreadsheet would run as a formula (OWASP's CSV injection list:
 * a cell starting with =, +, -, @, tab or carriage return; a plain number such as -300 is a number).
 */
export function spreadsheetCells(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else if (c !== '\r') field += c;
  }
  if (field !== '' || row.length) rows.push([...row, field]);
  return rows;
}

export const formulaCells = (text: string): string[] => spreadsheetCells(text).flat().filter((cell) => /^[=+\-@\t\r＝＋－＠]/.test(cell) && !/^-\d+(\.\d+)?$/.test(cell));
