/**
 * Modelled on the serial console writers (fsl_linflexuart's
 * linflex_console_write()): `locked` is 0 when sysrq handling already holds
 * the port lock, the trylock's result under oops, and 1 after a plain lock;
 * the unlock is `if (locked)`. A variable set to 0 is known to be 0 until it
 * is set again, so the sysrq path does not reach the unlock. Before, the
 * unlock's assert was "not held on every path" (8 findings in
 * drivers/tty/serial in the whole-tree run).
 */
import { describe, expect, it } from 'vitest';
import { lint } from './helpers.js';

const PORT = `
struct spinlock { int x; };
struct port { struct spinlock lock; int sysrq; };

extern int oops_in_progress;
extern int console_done;
void port_write(struct port *p, const char *s);
void port_poke(int *v);

static inline void port_unlock(struct port *p)
{
	lockdep_assert_held(&p->lock);
	spin_unlock(&p->lock);
}
`;

const asserts = (src: string) => lint(PORT + src, { rule: 'assert-held-caller' }).map((f) => [f.function, f.lock]);

describe('a flag set to 0 that gates the unlock', () => {
  it('the path that set it to 0 does not reach the unlock', () => {
    expect(
      asserts(`
void console_write(struct port *p, const char *s)
{
	int locked = 1;

	if (p->sysrq)
		locked = 0;
	else if (oops_in_progress)
		locked = spin_trylock(&p->lock);
	else
		spin_lock(&p->lock);
	port_write(p, s);
	if (locked)
		port_unlock(p);
}
`),
    ).toEqual([]);
  });

  it('a flag set again after the 0 is not known any more', () => {
    expect(
      asserts(`
void console_write(struct port *p, const char *s)
{
	int locked = 1;

	if (p->sysrq)
		locked = 0;
	else
		spin_lock(&p->lock);
	port_write(p, s);
	locked++;
	if (locked)
		port_unlock(p);
}
`),
    ).toEqual([['console_write', 'p->lock']]);
  });

  it('nor one whose address was given away, nor a global across a call', () => {
    expect(
      asserts(`
void console_write(struct port *p, const char *s)
{
	int locked = 1;

	if (p->sysrq)
		locked = 0;
	else
		spin_lock(&p->lock);
	port_poke(&locked);
	if (locked)
		port_unlock(p);
}

void console_flush(struct port *p, const char *s)
{
	spin_lock(&p->lock);
	spin_unlock(&p->lock);
	console_done = 0;
	port_write(p, s);
	if (console_done)
		port_unlock(p);
}
`),
    ).toEqual([
      ['console_write', 'p->lock'],
      ['console_flush', 'p->lock'],
    ]);
  });
});
