/**
 * What marks an interview session notebook (kodelab_jupyter/interview/notebook.py): its
 * session id in the notebook metadata and the roles of its cells. Small on purpose: the
 * application's entry point reads it for every notebook opened, and loads the interview
 * toolbar only for session notebooks.
 */

/** The round sections' cell role (kodelab_jupyter/interview/notebook.py). */
export const ROUND_ROLE = 'interview-round';
/** The role of the cell the server adds when the interview is over. */
export const FINISHED_ROLE = 'interview-finished';

/** The session id of an interview session notebook's metadata (`kodelab`), else null. */
export function interviewSessionOf(metadata: unknown): number | null {
  if (!metadata || typeof metadata !== 'object') {
    return null;
  }
  const id = (metadata as { interview_session?: unknown }).interview_session;
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0
    ? id
    : null;
}
