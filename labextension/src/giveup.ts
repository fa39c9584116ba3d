/**
 * Give up: ask first (JupyterLab's dialog), then let the session tell the server. What the
 * dialog says is what kodelab_jupyter/practice.py `give_up` does: every hint unlocks, the
 * reference solution shows when the challenge allows it, the server records it (the first
 * time is kept, there is no undo), and later submissions are graded and count as usual.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';

import { ChallengeSession } from './session';

/** Ask the user; true to go on. */
export type Confirm = (title: string, body: string) => Promise<boolean>;

/** The confirmation's title. */
export function giveUpTitle(session: ChallengeSession): string {
  return `Give up on ${session.title}?`;
}

/** The confirmation's text: what giving up does, and what it does not. */
export function giveUpMessage(session: ChallengeSession): string {
  const count = session.info?.hint_count;
  const hints =
    count === undefined
      ? 'every hint'
      : count === 1
        ? 'its one hint'
        : `all ${count} hints`;
  const what =
    count === 0
      ? 'This challenge has no hints. Giving up shows its reference solution in the ' +
        'results panel when the challenge allows it (never in your notebook).'
      : `Giving up unlocks ${hints} and, when the challenge allows it, shows its ` +
        'reference solution in the results panel (never in your notebook).';
  return (
    `${what} KodeLab records that you gave up; it cannot be undone. You can still ` +
    'submit afterwards: submissions are graded and count as usual.'
  );
}

/** JupyterLab's dialog: Cancel (default) or Give up. */
export const dialogConfirm: Confirm = async (title, body) => {
  const result = await showDialog({
    title,
    body,
    buttons: [
      Dialog.cancelButton(),
      Dialog.warnButton({ label: 'Give up', ariaLabel: 'Give up' })
    ],
    defaultButton: 0
  });
  return result.button.accept;
};

/**
 * Ask, then give up. Nothing happens while a grading run is in flight, when Give up does not
 * apply (solved, already given up) or when the user cancels. True when the session gave up.
 */
export async function confirmGiveUp(
  session: ChallengeSession,
  confirm: Confirm = dialogConfirm
): Promise<boolean> {
  if (session.isDisposed || session.busy || !session.canGiveUp) {
    return false;
  }
  if (!(await confirm(giveUpTitle(session), giveUpMessage(session)))) {
    return false;
  }
  await session.giveUp();
  return session.gaveUp;
}
