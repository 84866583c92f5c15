/**
 * Plain-text wrapping for mail prose: paragraphs are filled to 72 columns;
 * lines that start with white space (code, a lockdep table, a call
 * sequence) are kept as written, because re-flowing code breaks it.
 */
export const WRAP_WIDTH = 72;

/** Fills one paragraph's words into lines of at most `width` columns (a longer word gets a line of its own). */
export function fill(text: string, width = WRAP_WIDTH): string[] {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const out: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur === '') cur = w;
    else if (cur.length + 1 + w.length <= width) cur += ' ' + w;
    else {
      out.push(cur);
      cur = w;
    }
  }
  if (cur !== '') out.push(cur);
  return out;
}

/**
 * Wraps prose: blank lines separate paragraphs, runs of unindented lines
 * are filled together, indented lines pass through untouched.
 */
export function wrapText(text: string, width = WRAP_WIDTH): string {
  const out: string[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length > 0) out.push(...fill(para.join(' '), width));
    para = [];
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      flush();
      out.push('');
    } else if (/^\s/.test(line)) {
      flush();
      out.push(line.replace(/\s+$/, ''));
    } else para.push(line.trim());
  }
  flush();
  return out.join('\n');
}
