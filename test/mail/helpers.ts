/** Builders of small real-looking mails for the mail tests. */
export interface MailSpec {
  subject: string;
  id?: string | null;
  from?: string;
  date?: string;
  inReplyTo?: string;
  references?: string[];
  body: string;
  headers?: string[];
}

export function mail(s: MailSpec): string {
  const h: string[] = [];
  h.push(`From: ${s.from ?? 'Ada Example <ada@example.org>'}`);
  h.push(`Date: ${s.date ?? 'Tue, 14 Apr 2026 10:00:00 +0000'}`);
  h.push(`Subject: ${s.subject}`);
  if (s.id !== null) h.push(`Message-ID: <${s.id ?? 'x@example.org'}>`);
  if (s.inReplyTo) h.push(`In-Reply-To: <${s.inReplyTo}>`);
  if (s.references?.length) h.push(`References: ${s.references.map((r) => `<${r}>`).join('\n ')}`);
  h.push(...(s.headers ?? []));
  return `${h.join('\n')}\n\n${s.body}`;
}

/** An mboxrd of the given mails, as public-inbox writes it. */
export function mbox(mails: string[]): string {
  return mails
    .map((m) => `From mboxrd@z Thu Jan  1 00:00:00 1970\n${m.replace(/^(>*From )/gm, '>$1')}${m.endsWith('\n') ? '' : '\n'}\n`)
    .join('');
}

export function patchBody(file: string, n: number, extra = ''): string {
  return `Change number ${n} of ${file}.
${extra}
Signed-off-by: Ada Example <ada@example.org>
---
 ${file} | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/${file} b/${file}
index 1111111..2222222 100644
--- a/${file}
+++ b/${file}
@@ -1,3 +1,3 @@
 int a;
-int b${n};
+long b${n};
 int c;
-- 
2.43.0
`;
}

/** A series `[PATCH vV i/T] title i` with cover letter, threaded to the cover. */
export function series(opts: {
  version: number;
  total: number;
  prefix?: string;
  only?: number[];
  cover?: boolean;
  idSuffix?: string;
  date?: string;
  from?: string;
}): { mails: string[]; ids: string[] } {
  const suffix = opts.idSuffix ?? `v${opts.version}.git.ada@example.org`;
  const tag = (i: number) =>
    `[${opts.prefix ? `${opts.prefix} ` : ''}PATCH${opts.version > 1 ? ` v${opts.version}` : ''} ${String(i).padStart(String(opts.total).length, '0')}/${opts.total}]`;
  const coverId = `cover.${suffix}`;
  const mails: string[] = [];
  const ids: string[] = [];
  if (opts.cover !== false) {
    mails.push(mail({ subject: `${tag(0)} demo: rework the list`, id: coverId, date: opts.date, from: opts.from, body: 'Cover letter.\n' }));
    ids.push(coverId);
  }
  for (let i = 1; i <= opts.total; i++) {
    if (opts.only && !opts.only.includes(i)) continue;
    const id = `${i}.${suffix}`;
    mails.push(
      mail({
        subject: `${tag(i)} demo: step ${i}`,
        id,
        date: opts.date,
        from: opts.from,
        inReplyTo: opts.cover !== false ? coverId : undefined,
        references: opts.cover !== false ? [coverId] : undefined,
        body: patchBody(`demo/f${i}.c`, i),
      }),
    );
    ids.push(id);
  }
  return { mails, ids };
}
