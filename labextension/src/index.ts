/**
 * KodeLab for JupyterLab: the plugins.
 *
 * - `kodelab-jupyter:core` provides {@link IKodeLab}: the REST client, the open challenge
 *   sessions, verdicts pushed on the server's event bus.
 * - `kodelab-jupyter:catalog` adds the KodeLab sidebar (left area).
 * - `kodelab-jupyter:notebook` adds the challenge toolbar to challenge notebooks, the
 *   results panel (right area) and the commands (Submit: Accel Shift Enter).
 *
 * Only `JupyterFrontEnd` and the notebook tracker are required, so the same plugins run in
 * JupyterLab 4 and in Notebook 7 (whose shell has left/right areas too; a shell without
 * them only logs a warning and the toolbar still works).
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
import { IKodeLab } from './tokens';

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
      const toolbar = panel.toolbar;
      const hasSpacer = [...toolbar.names()].includes('spacer');
      for (const [name, widget] of challengeToolbarItems(session, {
        showResults: this._showResults,
        submitShortcut: shortcutLabel(this._app.commands, CommandIDs.submit)
      })) {
        items.push(widget);
        if (!(hasSpacer && toolbar.insertBefore('spacer', name, widget))) {
          toolbar.addItem(name, widget);
        }
      }
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
    'Challenge toolbar (countdown, Run tests, Submit, Hints), results panel and history.',
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
      CommandIDs.showResults
    ]) {
      palette?.addItem({ command, category: 'KodeLab' });
    }
  }
};

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
      app.shell.add(widget, 'main');
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
