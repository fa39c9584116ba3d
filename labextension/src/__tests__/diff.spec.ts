import { lineDiff, renderDiff } from '../diff';

describe('diff of a submission against the current answer', () => {
  it('marks lines only in the submission as added, only in the answer as removed', () => {
    const current = 'def f(x):\n    return x\n';
    const submitted = 'def f(x):\n    return x + 1\n';
    expect(lineDiff(current, submitted)).toEqual([
      { kind: 'same', text: 'def f(x):' },
      { kind: 'removed', text: '    return x' },
      { kind: 'added', text: '    return x + 1' }
    ]);
  });

  it('renders signs and words, and says when nothing differs', () => {
    const node = renderDiff('a\nb', 'a\nc');
    const lines = [...node.querySelectorAll('.kodelab-Diff-line')];
    expect(
      lines.map(l => l.querySelector('.kodelab-Diff-sign')?.textContent)
    ).toEqual([' ', '−', '+']);
    expect(lines[2].textContent).toContain('only in the submission');
    expect(renderDiff('same', 'same').textContent).toContain(
      'is the same as your current answer'
    );
  });
});
