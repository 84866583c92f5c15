/**
 * Cheap checks on a file's text before deciding to parse it. They walk the
 * occurrences of a name with indexOf rather than a regular expression with
 * `.*` in it, so a hostile file (one 4 MB line) costs linear time.
 */

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Offsets where `name` occurs as a whole word. */
export function* wordOccurrences(text: string, name: string): Generator<number> {
  if (!name) return;
  for (let i = text.indexOf(name); i !== -1; i = text.indexOf(name, i + 1)) {
    if (i > 0 && isWordChar(text.charCodeAt(i - 1))) continue;
    const end = i + name.length;
    if (end < text.length && isWordChar(text.charCodeAt(end))) continue;
    yield i;
  }
}

function lineStart(text: string, off: number): number {
  return text.lastIndexOf('\n', off - 1) + 1;
}

/** The line holding `off` starts at column 0 with something other than a preprocessor line. */
function atFileScopeLine(text: string, off: number): boolean {
  const c = text.charCodeAt(lineStart(text, off));
  return c !== 32 && c !== 9 && c !== 35 /* # */ && c !== 10 && c !== 13;
}

function nextNonSpace(text: string, off: number): string {
  let i = off;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return text[i] ?? '';
}

/**
 * Whether `name(` appears on a line that starts at column 0: where kernel
 * style puts a function definition (or a prototype), never a call.
 */
export function mayDefineFunction(text: string, name: string): boolean {
  for (const i of wordOccurrences(text, name)) {
    if (nextNonSpace(text, i + name.length) === '(' && atFileScopeLine(text, i)) return true;
  }
  return false;
}

/** Whether `name` appears on a column-0 line: a global's definition or declaration. */
export function mayDeclareGlobal(text: string, name: string): boolean {
  for (const i of wordOccurrences(text, name)) if (atFileScopeLine(text, i)) return true;
  return false;
}

/** Whether `name` may be a typedef name here: `typedef ... name;`, `} name;`, `(*name)(`. */
export function mayDefineTypedef(text: string, name: string): boolean {
  if (!text.includes('typedef')) return false;
  for (const i of wordOccurrences(text, name)) {
    const next = nextNonSpace(text, i + name.length);
    if (next === ';' || next === ')' || next === ',') return true;
  }
  return false;
}
