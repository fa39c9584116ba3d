/**
 * KodeLab for JupyterLab: the plugins.
 *
 * - `kodelab-jupyter:core` provides {@link IKodeLab}: the REST client, the open challenge
 *   sessions, verdicts pushed on the server's event bus.
 * - `kodelab-jupyter:catalog` adds the KodeLab sidebar (left area).
 * - `kodelab-jupyter:notebook` adds the challenge toolbar to challenge notebooks, the
 *   results panel (right area) and the commands (Submit: Accel Shift Enter).
 *
 * Only `JupyterFrontEnd` and the notebook tracker are required (the layout restorer and the
 * command palette are optional), so the same plugins run in JupyterLab 4 and in Notebook 7,
 * whose shell has left/right side panels too (View › Left/Right Sidebar): the toolbar, the
 * results panel, the sidebar and the lobby work there; scorecards, main-area widgets in Lab,
 * open in the right side panel (Notebook 7's main area holds only its document). A shell
 * without side areas only logs a warning and the toolbar still works.
 * ui-tests/tests/notebook7.spec.ts checks Notebook 7 in a browser.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Clipboard,
  Dialog,
  ICommandPalette,
  InputDialog,
  showDialog
} from '@jupyterlab/apputils';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import {
  INotebookModel,
  INotebookTracker,
  NotebookPanel
} from '@jupyterlab/notebook';
import { CommandRegistry } from '@lumino/commands';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { KodeLabAPI, KodeLabApiError } from './api';
// The sidebar and the results panel are added to the shell at activation: load them now.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { CatalogPanel } from './catalog';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { InterviewLobby, InterviewsAPI, ScorecardWidget } from './interviews';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { ResultsPanel } from './results';
import {
  ANSWER_ROLE,
  ChallengeSession,
  INotebookDocument,
  METADATA_KEY,
  challengeIdOf
} from './session';
import { KodeLabService } from './service';
import {
  FINISHED_ROLE,
  ROUND_ROLE,
  interviewSessionOf
} from './sessionnotebook';
import { IKodeLab } from './tokens';
import type {
  IInterviewDocument,
  IInterviewToolbarActions
} from './interviewbar';

export * from './tokens';
export { KodeLabAPI, KodeLabApiError } from './api';
export { ChallengeSession } from './session';
export { VERDICT_EVENT } from './service';

/** Command ids. */
export namespace CommandIDs {
  export const openCatalog = 'kodelab:open-catalog';
  export const runTests = 'kodelab:run-tests';
  export const submit = 'kodelab:submit';
  export const showHints = 'kodelab:show-hints';
  export const giveUp = 'kodelab:give-up';
  export const showResults = 'kodelab:show-results';
  export const openInterviews = 'kodelab:open-interviews';
  export const openScorecard = 'kodelab:open-scorecard';
  export const openShared = 'kodelab:open-shared';
}

/** KodeLab's commands take no arguments. */
const NO_ARGS = { args: { type: 'object' as const, properties: {} } };

/** A notebook's document context as a session sees it. */
function notebookDocument(
  context: DocumentRegistry.IContext<INotebookModel>
): INotebookDocument {
  return {
    get localPath() {
      return context.localPath;
    },
    save: () => context.save(),
    revert: () => context.revert(),
    answerSources: () => {
      const sources: string[] = [];
      const cells = context.model.cells;
      for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        const meta = cell.getMetadata(METADATA_KEY) as
          { role?: string } | undefined;
        if (meta && meta.role === ANSWER_ROLE) {
          sources.push(cell.sharedModel.getSource());
        }
      }
      return sources;
    }
  };
}

/** Add a widget to a shell area; false (and a warning) when the shell has no such area. */
function addToArea(
  app: JupyterFrontEnd,
  widget: Widget,
  area: 'left' | 'right',
  rank: number
): boolean {
  try {
    app.shell.add(widget, area, { rank });
    return widget.isAttached || !!widget.parent;
  } catch (err) {
    console.warn(`KodeLab: this application has no ${area} area`, err);
    return false;
  }
}

/**
 * Add a widget to the main area. Notebook 7's main area holds its one document and ignores
 * more: there the widget goes to the right side panel. False when neither took it.
 */
function addToMain(app: JupyterFrontEnd, widget: Widget): boolean {
  app.shell.add(widget, 'main');
  return (
    widget.isAttached || !!widget.parent || addToArea(app, widget, 'right', 700)
  );
}

const core: JupyterFrontEndPlugin<IKodeLab> = {
  id: 'kodelab-jupyter:core',
  description: 'KodeLab API client, challenge sessions and pushed verdicts.',
  autoStart: true,
  provides: IKodeLab,
  activate: (app: JupyterFrontEnd): IKodeLab => {
    const kodelab = new KodeLabService({
      api: new KodeLabAPI({
        serverSettings: app.serviceManager.serverSettings
      }),
      openPath: path =>
        app.commands.execute('docmanager:open', { path, factory: 'Notebook' })
    });
    // Verdicts of every submission of this user (the in-notebook bar's included).
    app.serviceManager.events?.stream.connect((_, emission) =>
      kodelab.handleEvent(emission)
    );
    return kodelab;
  }
};

const catalog: JupyterFrontEndPlugin<void> = {
  id: 'kodelab-jupyter:catalog',
  description: 'The KodeLab sidebar: challenge catalog, filters, random pick.',
  autoStart: true,
  requires: [IKodeLab],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    kodelab: IKodeLab,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    const panel = new CatalogPanel({
      api: kodelab.api,
      open: async challenge => {
        await kodelab.openChallenge(challenge.id);
      }
    });
    if (!addToArea(app, panel, 'left', 650)) {
      panel.dispose();
      return;
    }
    restorer?.add(panel, 'kodelab-catalog');
    app.commands.addCommand(CommandIDs.openCatalog, {
      describedBy: NO_ARGS,
      label: 'KodeLab: Show the Challenge Catalog',
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command: CommandIDs.openCatalog, category: 'KodeLab' });
    // Badges follow verdicts (also those of the in-notebook bar).
    let timer: ReturnType<typeof setTimeout> | null = null;
    kodelab.verdictReceived.connect(() => {
      if (timer !== null) {
        clearTimeout(timer);
      }
      timer = setTimeout(() => {
        timer = null;
        if (panel.isAttached) {
          void panel.load();
        }
      }, 300);
    });
  }
};

/** Put KodeLab's items before the toolbar's spacer (at its end if it has none). */
function addToolbarItems(
  panel: NotebookPanel,
  items: Array<[string, Widget]>
): Widget[] {
  const toolbar = panel.toolbar;
  const hasSpacer = [...toolbar.names()].includes('spacer');
  for (const [name, widget] of items) {
    if (!(hasSpacer && toolbar.insertBefore('spacer', name, widget))) {
      toolbar.addItem(name, widget);
    }
  }
  return items.map(([, widget]) => widget);
}

/** Adds the challenge toolbar to challenge notebooks and tracks their sessions. */
class ChallengeToolbarExtension implements DocumentRegistry.IWidgetExtension<
  NotebookPanel,
  INotebookModel
> {
  constructor(
    private readonly _app: JupyterFrontEnd,
    private readonly _kodelab: IKodeLab,
    private readonly _showResults: () => void
  ) {}

  createNew(
    panel: NotebookPanel,
    context: DocumentRegistry.IContext<INotebookModel>
  ): IDisposable {
    const items: Widget[] = [];
    void context.ready.then(async () => {
      if (panel.isDisposed) {
        return;
      }
      const challengeId = challengeIdOf(
        context.model.getMetadata(METADATA_KEY)
      );
      if (!challengeId) {
        return;
      }
      // Only challenge notebooks need the toolbar code.
      const { challengeToolbarItems } = await import('./toolbar');
      if (panel.isDisposed) {
        return;
      }
      const session = new ChallengeSession({
        api: this._kodelab.api,
        challengeId,
        document: notebookDocument(context),
        open: path =>
          void this._app.commands.execute('docmanager:open', { path })
      });
      panel.addClass('kodelab-mod-challenge');
      items.push(
        ...addToolbarItems(
          panel,
          challengeToolbarItems(session, {
            showResults: this._showResults,
            submitShortcut: shortcutLabel(this._app.commands, CommandIDs.submit)
          })
        )
      );
      this._kodelab.sessions.add(panel, session);
      void session.initialize();
    });
    return new DisposableDelegate(() => {
      for (const widget of items) {
        widget.dispose();
      }
    });
  }
}

/** `Ctrl+Shift+Enter` (or the Mac symbols) for a command's first key binding. */
function shortcutLabel(commands: CommandRegistry, command: string): string {
  const binding = commands.keyBindings.find(b => b.command === command);
  return binding
    ? binding.keys.map(k => CommandRegistry.formatKeystroke(k)).join(', ')
    : '';
}

const notebook: JupyterFrontEndPlugin<void> = {
  id: 'kodelab-jupyter:notebook',
  description:
    'Challenge toolbar (countdown, Run tests, Submit, Hints, Give up), results panel and history.',
  autoStart: true,
  requires: [IKodeLab, INotebookTracker],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    kodelab: IKodeLab,
    tracker: INotebookTracker,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    const results = new ResultsPanel();
    const hasResults = addToArea(app, results, 'right', 650);
    if (hasResults) {
      restorer?.add(results, 'kodelab-results');
    }
    const showResults = () => {
      if (hasResults) {
        app.shell.activateById(results.id);
      }
    };
    const current = (): ChallengeSession | undefined =>
      kodelab.sessions.get(tracker.currentWidget);
    const follow = () => {
      const session = current();
      if (session) {
        results.setSession(session);
      }
    };

    app.docRegistry.addWidgetExtension(
      'Notebook',
      new ChallengeToolbarExtension(app, kodelab, showResults)
    );

    tracker.currentChanged.connect(follow);
    kodelab.sessions.added.connect((_, { widget, session }) => {
      if (widget === tracker.currentWidget || !results.session) {
        results.setSession(session);
      }
      session.changed.connect(() => app.commands.notifyCommandChanged());
      session.actionStarted.connect(showResults);
    });
    kodelab.sessions.removed.connect((_, session) => {
      if (results.session === session) {
        results.setSession(current() ?? kodelab.sessions.all()[0] ?? null);
      }
    });
    kodelab.verdictReceived.connect((_, event) => {
      for (const session of kodelab.sessions.forChallenge(event.challenge_id)) {
        if (!session.busy) {
          void session.refreshHistory();
        }
      }
    });

    const enabled = () => {
      const session = current();
      return !!session && !session.busy;
    };
    app.commands.addCommand(CommandIDs.runTests, {
      describedBy: NO_ARGS,
      label: 'KodeLab: Run Tests',
      caption: 'Save the challenge notebook and run the visible tests',
      isEnabled: enabled,
      execute: () => current()?.runTests()
    });
    app.commands.addCommand(CommandIDs.submit, {
      describedBy: NO_ARGS,
      label: 'KodeLab: Submit',
      caption:
        'Save the challenge notebook and grade it on all tests, counting an attempt',
      isEnabled: enabled,
      execute: () => current()?.submit()
    });
    app.commands.addCommand(CommandIDs.showHints, {
      describedBy: NO_ARGS,
      label: 'KodeLab: Show Hints',
      caption: 'Show the hints unlocked so far',
      isEnabled: enabled,
      execute: () => current()?.showHints()
    });
    app.commands.addCommand(CommandIDs.giveUp, {
      describedBy: NO_ARGS,
      label: 'KodeLab: Give Up…',
      caption:
        'Unlock every hint and, when the challenge allows it, see the reference solution (asks first)',
      // Not while grading, nor once solved or given up.
      isEnabled: () => enabled() && !!current()?.canGiveUp,
      execute: async () => {
        const session = current();
        if (session) {
          const { confirmGiveUp } = await import('./giveup');
          await confirmGiveUp(session);
        }
      }
    });
    app.commands.addCommand(CommandIDs.showResults, {
      describedBy: NO_ARGS,
      label: 'KodeLab: Show Results and History',
      isEnabled: () => hasResults,
      execute: showResults
    });
    for (const command of [
      CommandIDs.runTests,
      CommandIDs.submit,
      CommandIDs.showHints,
      CommandIDs.giveUp,
      CommandIDs.showResults
    ]) {
      palette?.addItem({ command, category: 'KodeLab' });
    }
  }
};

/** A session notebook as its interview tracker sees it. */
function interviewDocument(
  context: DocumentRegistry.IContext<INotebookModel>
): IInterviewDocument {
  const saved = new Signal<unknown, unknown>(context);
  context.saveState.connect((_, state) => {
    if (state === 'completed') {
      saved.emit(undefined);
    }
  });
  return {
    get localPath() {
      return context.localPath;
    },
    get dirty() {
      return context.model.dirty;
    },
    sections: () => {
      const roundIds: string[] = [];
      let finished = false;
      const cells = context.model.cells;
      for (let i = 0; i < cells.length; i++) {
        const meta = cells.get(i).getMetadata(METADATA_KEY) as
          { role?: string; round?: string } | undefined;
        if (meta?.role === ROUND_ROLE && meta.round) {
          roundIds.push(meta.round);
        } else if (meta?.role === FINISHED_ROLE) {
          finished = true;
        }
      }
      return { roundIds, finished };
    },
    save: () => context.save(),
    revert: () => context.revert(),
    saved
  };
}

/** Adds the interview toolbar to interview session notebooks. */
class InterviewToolbarExtension implements DocumentRegistry.IWidgetExtension<
  NotebookPanel,
  INotebookModel
> {
  constructor(
    private readonly _kodelab: IKodeLab,
    private readonly _actions: IInterviewToolbarActions
  ) {}

  createNew(
    panel: NotebookPanel,
    context: DocumentRegistry.IContext<INotebookModel>
  ): IDisposable {
    const owned: IDisposable[] = [];
    void context.ready.then(async () => {
      const sessionId = interviewSessionOf(
        context.model.getMetadata(METADATA_KEY)
      );
      if (panel.isDisposed || sessionId === null) {
        return;
      }
      // Only session notebooks need the interview toolbar code.
      const { InterviewTracker, interviewToolbarItems } =
        await import('./interviewbar');
      if (panel.isDisposed) {
        return;
      }
      const tracker = new InterviewTracker({
        api: this._kodelab.api,
        sessionId,
        document: interviewDocument(context)
      });
      owned.push(tracker);
      panel.addClass('kodelab-mod-interview');
      owned.push(
        ...addToolbarItems(panel, interviewToolbarItems(tracker, this._actions))
      );
      void tracker.refresh();
    });
    return new DisposableDelegate(() => {
      for (const item of owned) {
        item.dispose();
      }
    });
  }
}

/** How often a session started from the lobby is polled, to open its scorecard at the end. */
const WATCH_MS = 5000;

const interviews: JupyterFrontEndPlugin<void> = {
  id: 'kodelab-jupyter:interviews',
  description:
    'Interviews: the lobby (left area), scorecards and shared scorecards (main area).',
  autoStart: true,
  requires: [IKodeLab],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    kodelab: IKodeLab,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    const api = new InterviewsAPI(kodelab.api);
    const scorecards = new Map<string, ScorecardWidget>();
    // The shell owns the scorecards (closing one disposes it).
    const newScorecard = (options: { sessionId?: number; token?: string }) =>
      new ScorecardWidget({
        api,
        ...options,
        copy: text => Clipboard.copyToSystem(text)
      });

    const showCard = (options: { sessionId?: number; token?: string }) => {
      const key =
        options.sessionId !== undefined
          ? `s${options.sessionId}`
          : `t${options.token}`;
      const existing = scorecards.get(key);
      if (existing && !existing.isDisposed) {
        app.shell.activateById(existing.id);
        return existing.load();
      }
      scorecards.set(key, newScorecard(options));
      const widget = scorecards.get(key)!;
      if (!addToMain(app, widget)) {
        scorecards.delete(key);
        widget.dispose();
        return;
      }
      app.shell.activateById(widget.id);
      return widget.load();
    };

    const watched = new Set<number>();
    const watch = (sessionId: number) => {
      if (watched.has(sessionId)) {
        return;
      }
      watched.add(sessionId);
      const timer = setInterval(async () => {
        try {
          const view = await api.session(sessionId);
          if (view.status === 'finished') {
            clearInterval(timer);
            watched.delete(sessionId);
            void lobby.load();
            void showCard({ sessionId });
          }
        } catch (err) {
          // A blip: try again at the next tick; a 4xx (gone, not yours) stops the watch.
          const status = err instanceof KodeLabApiError ? err.status : 0;
          if (status >= 400 && status < 500) {
            clearInterval(timer);
            watched.delete(sessionId);
          }
        }
      }, WATCH_MS);
    };

    const lobby = new InterviewLobby({
      api,
      confirm: async card => {
        const result = await showDialog({
          title: `Start ${card.title}?`,
          body:
            `${card.round_count} rounds` +
            (card.estimated_minutes
              ? `, about ${card.estimated_minutes} minutes`
              : '') +
            '. The clock of round 1 starts now.',
          buttons: [
            Dialog.cancelButton(),
            Dialog.okButton({ label: 'Start interview' })
          ]
        });
        return result.button.accept;
      },
      openPath: path =>
        app.commands.execute('docmanager:open', { path, factory: 'Notebook' }),
      openScorecard: sessionId => void showCard({ sessionId }),
      started: session => watch(session.id)
    });
    if (!addToArea(app, lobby, 'left', 660)) {
      lobby.dispose();
    } else {
      restorer?.add(lobby, 'kodelab-interviews');
    }

    // The interview toolbar of session notebooks (JupyterLab and Notebook 7).
    app.docRegistry.addWidgetExtension(
      'Notebook',
      new InterviewToolbarExtension(kodelab, {
        confirmEnd: async () =>
          (
            await showDialog({
              title: 'End the interview now?',
              body:
                'The rounds not yet submitted are skipped and score 0. ' +
                'This cannot be undone.',
              buttons: [
                Dialog.cancelButton({ label: 'Keep going' }),
                Dialog.warnButton({ label: 'End interview' })
              ]
            })
          ).button.accept,
        openScorecard: sessionId => void showCard({ sessionId })
      })
    );

    app.commands.addCommand(CommandIDs.openInterviews, {
      describedBy: NO_ARGS,
      label: 'KodeLab: Show the Interviews',
      isEnabled: () => !lobby.isDisposed,
      execute: () => app.shell.activateById(lobby.id)
    });
    app.commands.addCommand(CommandIDs.openScorecard, {
      describedBy: {
        args: {
          type: 'object' as const,
          properties: { session: { type: 'number' } },
          required: ['session']
        }
      },
      label: 'KodeLab: Open an Interview Scorecard',
      execute: args => showCard({ sessionId: Number(args.session) })
    });
    app.commands.addCommand(CommandIDs.openShared, {
      describedBy: {
        args: {
          type: 'object' as const,
          properties: { token: { type: 'string' } }
        }
      },
      label: 'KodeLab: Open a Shared Scorecard',
      execute: async args => {
        let token = typeof args.token === 'string' ? args.token : '';
        if (!token) {
          const result = await InputDialog.getText({
            title: 'Open a shared scorecard',
            label: 'Share link or token',
            okLabel: 'Open'
          });
          token = (result.button.accept && result.value) || '';
        }
        // A whole link is fine too: its last segment is the token.
        token = token.trim().replace(/\/+$/, '').split('/').pop() ?? '';
        if (token) {
          return showCard({ token });
        }
      }
    });
    for (const command of [CommandIDs.openInterviews, CommandIDs.openShared]) {
      palette?.addItem({ command, category: 'KodeLab' });
    }
  }
};

export default [core, catalog, notebook, interviews];
