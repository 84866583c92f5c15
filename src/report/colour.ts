/** ANSI colours, only on a terminal and never when NO_COLOR is set (https://no-color.org). */
export interface Palette {
  bold(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  green(s: string): string;
  dim(s: string): string;
}

const wrap = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
const plain = (s: string) => s;

export function palette(isTTY: boolean, env: NodeJS.ProcessEnv): Palette {
  const on = isTTY && !('NO_COLOR' in env && env.NO_COLOR !== '') && env.TERM !== 'dumb';
  if (!on) return { bold: plain, red: plain, yellow: plain, cyan: plain, green: plain, dim: plain };
  return {
    bold: wrap('1'),
    red: wrap('31'),
    yellow: wrap('33'),
    cyan: wrap('36'),
    green: wrap('32'),
    dim: wrap('2'),
  };
}
