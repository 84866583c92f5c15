/**
 * One tree-sitter parser per thread, created on first use and reused:
 * creating a Parser and setting the language costs more than parsing a
 * small file.
 */
import Parser from 'tree-sitter';
import C from 'tree-sitter-c';

let parser: Parser | null = null;

function getParser(): Parser {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(C as unknown as Parser.Language);
  }
  return parser;
}

/**
 * Parse C text. The 0.22 node binding reads a string input in chunks of
 * `bufferSize` code units and silently truncates at the default buffer for
 * large inputs, so the buffer is always sized above the text.
 */
export function parseText(text: string): Parser.Tree {
  const p = getParser();
  const bufferSize = Math.max(32 * 1024, text.length * 2 + 1024);
  try {
    return p.parse(text, undefined, { bufferSize });
  } catch {
    // A parser left in a bad state (timeout, cancellation) must not poison the next file.
    p.reset();
    return p.parse(text, undefined, { bufferSize });
  }
}
