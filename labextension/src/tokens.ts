/**
 * What KodeLab's plugins share: the API client, the open challenge sessions and the verdicts
 * pushed by the server. Later panels (interview lobby, session, scorecard) are plugins that
 * require this token and add their own endpoints to the API client.
 */
import { Token } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { KodeLabAPI } from './api';
import { ChallengeSession } from './session';
import { IVerdictEvent } from './types';

/** The session of each open challenge notebook (by its document widget). */
export class SessionRegistry {
  /** Emitted when a challenge notebook gets its session. */
  get added(): ISignal<this, { widget: Widget; session: ChallengeSession }> {
    return this._added;
  }

  /** Emitted when a session ends (its notebook closed). */
  get removed(): ISignal<this, ChallengeSession> {
    return this._removed;
  }

  /** Track `session` for `widget`; it is disposed with the widget. */
  add(widget: Widget, session: ChallengeSession): void {
    this._sessions.set(widget, session);
    widget.disposed.connect(() => {
      this._sessions.delete(widget);
      session.dispose();
      this._removed.emit(session);
    });
    this._added.emit({ widget, session });
  }

  /** The session of a document widget, if it is a challenge notebook. */
  get(widget: Widget | null | undefined): ChallengeSession | undefined {
    return widget ? this._sessions.get(widget) : undefined;
  }

  /** Every open session of a challenge. */
  forChallenge(challengeId: string): ChallengeSession[] {
    return [...this._sessions.values()].filter(
      s => s.challengeId === challengeId
    );
  }

  /** Every open session. */
  all(): ChallengeSession[] {
    return [...this._sessions.values()];
  }

  private _sessions = new Map<Widget, ChallengeSession>();
  private _added = new Signal<
    this,
    { widget: Widget; session: ChallengeSession }
  >(this);
  private _removed = new Signal<this, ChallengeSession>(this);
}

/** KodeLab's shared services. */
export interface IKodeLab {
  /** The REST client (base URL, XSRF and token from the page). */
  readonly api: KodeLabAPI;
  /** Open challenge notebooks. */
  readonly sessions: SessionRegistry;
  /** Verdicts pushed by the server's event bus (any submission of this user). */
  readonly verdictReceived: ISignal<IKodeLab, IVerdictEvent>;
  /** Start a challenge (POST start) and open the notebook the server names. */
  openChallenge(challengeId: string): Promise<string>;
}

/** The token of KodeLab's shared services. */
export const IKodeLab = new Token<IKodeLab>(
  'kodelab-jupyter:IKodeLab',
  'KodeLab API client, open challenge sessions and pushed verdicts.'
);
