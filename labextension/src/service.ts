/**
 * The implementation of {@link IKodeLab} shared by KodeLab's plugins.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { KodeLabAPI } from './api';
import { IKodeLab, SessionRegistry } from './tokens';
import { IVerdictEvent } from './types';

/** The verdict event's schema id (kodelab_jupyter/app.py VERDICT_EVENT). */
export const VERDICT_EVENT =
  'https://events.kodelab.dev/kodelab_jupyter/verdict';

/** KodeLab's shared services. */
export class KodeLabService implements IKodeLab {
  constructor(options: {
    api: KodeLabAPI;
    /** Open a notebook by its server path. */
    openPath: (path: string) => Promise<unknown>;
  }) {
    this.api = options.api;
    this._openPath = options.openPath;
  }

  readonly api: KodeLabAPI;
  readonly sessions = new SessionRegistry();

  get verdictReceived(): ISignal<this, IVerdictEvent> {
    return this._verdictReceived;
  }

  /** Pass on an event of the server's event bus (others are ignored). */
  handleEvent(emission: unknown): void {
    const event = emission as Partial<IVerdictEvent> & { schema_id?: string };
    if (
      event &&
      event.schema_id === VERDICT_EVENT &&
      typeof event.challenge_id === 'string'
    ) {
      this._verdictReceived.emit(event as IVerdictEvent);
    }
  }

  async openChallenge(challengeId: string): Promise<string> {
    const started = await this.api.start(challengeId);
    await this._openPath(started.path);
    return started.path;
  }

  private _openPath: (path: string) => Promise<unknown>;
  private _verdictReceived = new Signal<this, IVerdictEvent>(this);
}
