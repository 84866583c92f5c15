/**
 * The shapes of mail-level data: one parsed message, a subject's patch tag,
 * a trailer, a series, and a review reply's comments. Defined once here as
 * zod schemas; the TypeScript types are inferred from them.
 */
import { z } from 'zod';

export const Address = z.object({
  name: z.string(),
  address: z.string(),
});
export type Address = z.infer<typeof Address>;

/** One message as kreview keeps it, whatever file format it came from. */
export const MailMessage = z.object({
  /** Where it came from, for error messages: `series.mbox#3`, `0006-x.patch`, `<stdin>`. */
  source: z.string(),
  /** Message-ID without angle brackets; synthesised (`kreview-<hash>@local`) when absent. */
  messageId: z.string().min(1),
  inReplyTo: z.string().nullable(),
  /** References, oldest first, without angle brackets; always an array. */
  references: z.array(z.string()),
  from: Address.nullable(),
  to: z.array(Address),
  cc: z.array(Address),
  /** ISO 8601, or null when the Date header is missing or unreadable. */
  date: z.string().nullable(),
  /** The raw Date header as sent (for "On <date>, <author> wrote:"). */
  dateHeader: z.string().nullable(),
  subject: z.string(),
  /** The text/plain body, decoded (charset, QP, base64) but otherwise byte-exact: no re-flowing. */
  body: z.string(),
});
export type MailMessage = z.infer<typeof MailMessage>;

/** What a subject's `[...]` tag says: `[RFC PATCH net-next v2 3/5]`. */
export const SubjectTag = z.object({
  isReply: z.boolean(),
  /** The tag carries PATCH (or is a bare `[n/m]`, as some senders use). */
  isPatch: z.boolean(),
  /** Words of the tag other than PATCH, vN and n/m: `RFC`, `net-next`. */
  prefixes: z.array(z.string()),
  version: z.number().int().positive(),
  /** 1-based; 0 for a cover letter; null when the tag has no n/m. */
  index: z.number().int().nonnegative().nullable(),
  total: z.number().int().positive().nullable(),
  /** The subject without `Re:` and without the tag. */
  title: z.string(),
});
export type SubjectTag = z.infer<typeof SubjectTag>;

export const TrailerKey = z.enum([
  'Signed-off-by',
  'Reviewed-by',
  'Acked-by',
  'Tested-by',
  'Reported-by',
  'Suggested-by',
  'Co-developed-by',
  'Fixes',
  'Link',
  'Closes',
  'Cc',
]);
export type TrailerKey = z.infer<typeof TrailerKey>;

export const Trailer = z.object({
  key: TrailerKey,
  value: z.string(),
  /** Message-ID of the mail that carried it (the patch itself, or a reply). */
  from: z.string(),
});
export type Trailer = z.infer<typeof Trailer>;

/** One patch mail of a series, split into its parts. */
export const PatchMail = z.object({
  message: MailMessage,
  tag: SubjectTag,
  /** Commit message: the body above the `---` line, trailers included. */
  commitMessage: z.string(),
  /** The diff text, from the first `diff --git`/`---` header up to the signature `-- `. */
  diff: z.string(),
  /** The patch's own trailers plus those given in replies to it. */
  trailers: z.array(Trailer),
});
export type PatchMail = z.infer<typeof PatchMail>;

export const Series = z.object({
  /** The cover letter's title, or the first patch's when there is none. */
  title: z.string(),
  version: z.number().int().positive(),
  prefixes: z.array(z.string()),
  total: z.number().int().positive(),
  cover: MailMessage.nullable(),
  /** In series order (index 1..total); missing ones are absent and listed in `missing`. */
  patches: z.array(PatchMail),
  missing: z.array(z.number().int().positive()),
  /** Replies to the cover letter or to any patch of this version. */
  replies: z.array(MailMessage),
  /** Older versions seen in the same input and set aside, e.g. [2]. */
  supersedes: z.array(z.number().int().positive()),
});
export type Series = z.infer<typeof Series>;

/** One comment of a review reply, with the quoted diff lines it sits under. */
export const ReviewComment = z.object({
  /** The file of the quoted hunk (`b/` side), or null when the quote has no diff context. */
  file: z.string().nullable(),
  /** The `@@ ... @@` line of the quoted hunk, as quoted; null when none was quoted. */
  hunkHeader: z.string().nullable(),
  /** The quoted lines directly above the comment, without the `> ` quoting, oldest first. */
  quoted: z.array(z.string()),
  /** The reviewer's words, as written (trimmed of blank lines at either end). */
  text: z.string(),
});
export type ReviewComment = z.infer<typeof ReviewComment>;
