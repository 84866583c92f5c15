import { describe, expect, it } from 'vitest';
import { parseSubject } from '../../src/mail/subject.js';

describe('parseSubject', () => {
  const cases: Array<[string, Partial<ReturnType<typeof parseSubject>>]> = [
    ['[PATCH v3 06/11] iommu: Defer free', { isReply: false, isPatch: true, prefixes: [], version: 3, index: 6, total: 11, title: 'iommu: Defer free' }],
    ['[RFC PATCH net-next v2 3/5] net: x', { isPatch: true, prefixes: ['RFC', 'net-next'], version: 2, index: 3, total: 5, title: 'net: x' }],
    ['[PATCH 0/4] cover', { isPatch: true, version: 1, index: 0, total: 4, title: 'cover' }],
    ['Re: [PATCH v3 06/11] iommu: Defer free', { isReply: true, isPatch: true, version: 3, index: 6, total: 11, title: 'iommu: Defer free' }],
    ['RE: [PATCH] x', { isReply: true, isPatch: true, index: null, total: null, title: 'x' }],
    ['Aw: Re: [PATCH v2 1/2] y', { isReply: true, version: 2, index: 1, total: 2, title: 'y' }],
    ['[PATCH v2] single', { isPatch: true, version: 2, index: null, total: null, title: 'single' }],
    ['[PATCH RESEND] again', { isPatch: true, prefixes: ['RESEND'], version: 1, title: 'again' }],
    ['[3/5] bare numbers', { isPatch: true, index: 3, total: 5, title: 'bare numbers' }],
    ['  [ PATCH  v3  06 / 11 ]   spaced  out ', { isPatch: true, version: 3, index: 6, total: 11, title: 'spaced out' }],
    ['[PATCH 6/11 v3] late version', { version: 3, index: 6, total: 11, title: 'late version' }],
    ['[PATCHv2 2/3] glued', { isPatch: true, version: 2, index: 2, total: 3, title: 'glued' }],
    ['[Intel-gfx] [PATCH V4 1/9] drm: z', { isPatch: true, prefixes: [], version: 4, index: 1, total: 9, title: 'drm: z' }],
    ['Re: [PATCH v2 -next] mm: w', { isReply: true, prefixes: ['-next'], version: 2, title: 'mm: w' }],
    ['Question about iommu groups', { isReply: false, isPatch: false, prefixes: [], version: 1, index: null, title: 'Question about iommu groups' }],
    ['Re: Question [1/2] not a tag', { isReply: true, isPatch: false, title: 'Question [1/2] not a tag' }],
  ];
  it.each(cases)('%s', (subject, want) => {
    expect(parseSubject(subject)).toMatchObject(want);
  });
});
