#!/usr/bin/env python3
"""Check the labelled reply corpus: every labels-*.tsv row names a file that
exists and parses, carries {{reference}} (or says why not), has a known kind
and regime; no .eml file is left unlisted.  Prints kind x split counts.

usage: scripts/corpus-check.py [tests/corpus/labelled]
"""
import collections
import email
import email.policy
import glob
import os
import sys

KINDS = {'acknowledgement', 'clarification', 'extension', 'refusal',
         'response', 'other'}
# One name per access regime; a new region adds its names here.
REGIMES = {'uk-foia', 'uk-eir', 'foisa', 'eir-scotland', 'eirs',
           'ni-foia', 'ni-eir', 'wales-foia', 'wales-eir', 'us-foia', 'us-state'}
HEADER = ['file', 'kind', 'regime', 'shape', 'source']
# A file may lack the token only if its shape says so: the harness then has
# nothing to substitute, which must be deliberate.
NO_REF_TAG = 'no-reference'


def text_of(msg):
    parts = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b''
        parts.append(data.decode(part.get_content_charset() or 'utf-8', 'replace'))
    return '\n'.join(parts)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else 'tests/corpus/labelled'
    errors = []
    listed = set()
    counts = collections.Counter()
    tables = sorted(glob.glob(os.path.join(root, 'labels-*.tsv')))
    if not tables:
        errors.append('no labels-*.tsv under %s' % root)
    for table in tables:
        with open(table, encoding='utf-8') as f:
            lines = f.read().split('\n')
        if lines and lines[-1] == '':
            lines.pop()
        if not lines or lines[0].split('\t') != HEADER:
            errors.append('%s: header must be %s' % (table, '\t'.join(HEADER)))
            continue
        for n, line in enumerate(lines[1:], 2):
            where = '%s:%d' % (os.path.basename(table), n)
            cols = line.split('\t')
            if len(cols) != len(HEADER):
                errors.append('%s: %d columns, want %d' % (where, len(cols), len(HEADER)))
                continue
            rel, kind, regime, shape, source = cols
            split = rel.split('/')[0]
            if split not in ('train', 'test'):
                errors.append('%s: %s is not under train/ or test/' % (where, rel))
            if rel in listed:
                errors.append('%s: %s listed twice' % (where, rel))
            listed.add(rel)
            if kind not in KINDS:
                errors.append('%s: unknown kind %r' % (where, kind))
            if regime not in REGIMES:
                errors.append('%s: unknown regime %r' % (where, regime))
            if not source.strip():
                errors.append('%s: no source' % where)
            path = os.path.join(root, rel)
            if not os.path.isfile(path):
                errors.append('%s: %s does not exist' % (where, rel))
                continue
            with open(path, 'rb') as f:
                msg = email.message_from_bytes(f.read(), policy=email.policy.default)
            if msg.defects:
                errors.append('%s: %s parse defects %s' % (where, rel, msg.defects))
            for h in ('From', 'To', 'Date', 'Message-ID', 'Subject', 'Content-Type'):
                if msg[h] is None:
                    errors.append('%s: %s lacks %s' % (where, rel, h))
            has_ref = ('{{reference}}' in str(msg['Subject'] or '')
                       or '{{reference}}' in text_of(msg))
            if not has_ref and NO_REF_TAG not in shape.split(','):
                errors.append('%s: %s has no {{reference}} and its shape has no %s'
                              % (where, rel, NO_REF_TAG))
            counts[(kind, split)] += 1
    for split in ('train', 'test'):
        for path in glob.glob(os.path.join(root, split, '*.eml')):
            rel = split + '/' + os.path.basename(path)
            if rel not in listed:
                errors.append('%s is in no labels-*.tsv' % rel)
    print('%-16s %6s %6s %6s' % ('kind', 'train', 'test', 'all'))
    for kind in sorted(KINDS):
        tr, te = counts[(kind, 'train')], counts[(kind, 'test')]
        print('%-16s %6d %6d %6d' % (kind, tr, te, tr + te))
    tr = sum(v for (k, s), v in counts.items() if s == 'train')
    te = sum(v for (k, s), v in counts.items() if s == 'test')
    print('%-16s %6d %6d %6d' % ('total', tr, te, tr + te))
    for err in errors:
        print('error: ' + err, file=sys.stderr)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
