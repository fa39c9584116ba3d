/**
 * A read-only line diff of a submission against the current answer, as DOM. Added and
 * removed lines carry a `+` / `−` sign and a screen-reader word, not only a colour.
 */
import { diffLines } from 'diff';

import { h, srOnly } from './dom';

/** One line of the diff. */
export interface IDiffLine {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

/** Lines of `after` compared with `before` ('added' = only in `after`). */
export function lineDiff(before: string, after: string): IDiffLine[] {
  const lines: IDiffLine[] = [];
  for (const part of diffLines(before, after)) {
    const kind = part.added ? 'added' : part.removed ? 'removed' : 'same';
    const text = part.value.endsWith('\n')
      ? part.value.slice(0, -1)
      : part.value;
    for (const line of text.split('\n')) {
      lines.push({ kind, text: line });
    }
  }
  return lines;
}

const SIGN = { same: ' ', added: '+', removed: '−' };
const WORD = {
  same: '',
  added: 'only in the submission: ',
  removed: 'only in your current answer: '
};

/**
 * The submission's code compared with the current answer cell: `+` lines are in the
 * submission only, `−` lines in the current answer only.
 */
export function renderDiff(current: string, submitted: string): HTMLElement {
  const lines = lineDiff(current, submitted);
  const changed = lines.some(line => line.kind !== 'same');
  return h(
    'div',
    { class: 'kodelab-Diff' },
    h('p', {
      class: 'kodelab-Diff-legend',
      text: changed
        ? 'Lines marked + are only in this submission; lines marked − are only in your current answer cell.'
        : 'This submission is the same as your current answer cell.'
    }),
    h(
      'pre',
      {
        class: 'kodelab-Diff-code',
        'aria-label': 'Submitted code compared with your current answer'
      },
      ...lines.map(line =>
        h(
          'div',
          { class: `kodelab-Diff-line kodelab-mod-${line.kind}` },
          h('span', {
            class: 'kodelab-Diff-sign',
            'aria-hidden': 'true',
            text: SIGN[line.kind]
          }),
          line.kind === 'same' ? null : srOnly(WORD[line.kind]),
          h('span', { class: 'kodelab-Diff-text', text: line.text || ' ' })
        )
      )
    )
  );
}
