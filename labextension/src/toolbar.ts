/**
 * The challenge toolbar of a notebook: countdown to the server's deadline, Run tests,
 * Submit, Hints, Give up and a button that shows the results. Plain DOM in Lumino widgets,
 * so the same items work in JupyterLab and Notebook 7.
 */
import { LabIcon, runIcon } from '@jupyterlab/ui-components';
import { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { h } from './dom';
import { confirmGiveUp } from './giveup';
import { countdownState } from './format';
import {
  clockIcon,
  giveUpIcon,
  hintIcon,
  kodelabIcon,
  submitIcon
} from './icons';
import { ChallengeSession } from './session';

/** How often the countdown redraws (the text changes once a second). */
const TICK_MS = 250;

/** What a countdown counts down to: a challenge session or an interview round. */
export interface ICountdownSource {
  /** The deadline (ms since epoch, the server's clock); null when untimed. */
  readonly deadline: number | null;
  /** Server clock minus browser clock (ms). */
  readonly skew: number;
  /** Shown when there is no deadline yet (0: no limit). */
  readonly timeLimitMinutes: number;
  readonly changed: ISignal<unknown, void>;
}

/** The countdown: `⏱ 12:34 left`, amber with words in the last minute, `Time is up`. */
export class CountdownWidget extends Widget {
  constructor(
    readonly session: ICountdownSource,
    private readonly _now: () => number = Date.now
  ) {
    super();
    this.addClass('kodelab-Countdown');
    // The timer itself is not live (it would speak every second); milestones are.
    const icon = clockIcon.element({
      tag: 'span',
      className: 'kodelab-Countdown-icon'
    });
    icon.setAttribute('aria-hidden', 'true');
    this._text = h('span', { class: 'kodelab-Countdown-text', role: 'timer' });
    this._announcer = h('span', {
      class: 'kodelab-srOnly',
      'aria-live': 'polite'
    });
    this.node.append(icon, this._text, this._announcer);
    session.changed.connect(this.update, this);
    this._interval = setInterval(() => this.update(), TICK_MS);
    this.update();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    clearInterval(this._interval);
    this.session.changed.disconnect(this.update, this);
    super.dispose();
  }

  /** Redraw now (also called by the interval). */
  update(): void {
    if (this.isDisposed) {
      return;
    }
    const state = countdownState(
      this.session.deadline,
      this._now(),
      this.session.skew,
      this.session.timeLimitMinutes
    );
    if (this._text.textContent !== state.text) {
      this._text.textContent = state.text;
    }
    this.node.title = state.label;
    this._text.setAttribute('aria-label', state.label);
    this.toggleClass('kodelab-mod-warning', state.warning);
    this.toggleClass('kodelab-mod-expired', state.expired);
    if (state.warning && !this._warned) {
      this._warned = true;
      this._announcer.textContent = 'Less than a minute left.';
    }
    if (state.expired && !this._expired && this.session.deadline !== null) {
      this._expired = true;
      this._announcer.textContent = 'Time is up.';
    }
  }

  private _text: HTMLSpanElement;
  private _announcer: HTMLSpanElement;
  private _interval: ReturnType<typeof setInterval>;
  private _warned = false;
  private _expired = false;
}

/** What a toolbar button follows: busy while a request is in flight. */
export interface IBusySource {
  readonly busy: boolean;
  readonly changed: ISignal<unknown, void>;
}

/** Options of a toolbar action button. */
export interface IActionButtonOptions<
  S extends IBusySource = ChallengeSession
> {
  label: string;
  /** The accessible name and tooltip (a full sentence). */
  title: string;
  icon?: LabIcon;
  className: string;
  primary?: boolean;
  onClick: () => void;
  session: S;
  /** Disabled while a request of the session is in flight (default true). */
  disableWhileBusy?: boolean;
  /** Whether the button applies now (hidden when not; default: always shown). */
  visible?: (session: S) => boolean;
}

/** A labelled toolbar button, disabled while a request of the session is in flight. */
export class ActionButton<
  S extends IBusySource = ChallengeSession
> extends Widget {
  constructor(private readonly _options: IActionButtonOptions<S>) {
    super({ node: document.createElement('button') });
    const button = this.node as HTMLButtonElement;
    button.type = 'button';
    // Added to the widget's own classes: replacing them would drop `lm-Widget`, and with it
    // Lumino's rule that hides a hidden widget.
    button.classList.add(
      ...[
        'jp-ToolbarButtonComponent',
        'jp-Button',
        'jp-mod-minimal',
        'kodelab-ToolbarButton',
        _options.className,
        _options.primary ? 'kodelab-mod-primary' : ''
      ].filter(Boolean)
    );
    button.title = _options.title;
    button.setAttribute('aria-label', _options.title);
    if (_options.icon) {
      const icon = _options.icon.element({
        tag: 'span',
        className: 'jp-ToolbarButtonComponent-icon'
      });
      icon.setAttribute('aria-hidden', 'true');
      button.append(icon);
    }
    button.append(
      h('span', {
        class: 'jp-ToolbarButtonComponent-label',
        text: _options.label
      })
    );
    button.addEventListener('click', this._onClick);
    _options.session.changed.connect(this._sync, this);
    this._sync();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.node.removeEventListener('click', this._onClick);
    this._options.session.changed.disconnect(this._sync, this);
    super.dispose();
  }

  private _onClick = (event: Event): void => {
    event.preventDefault();
    if (!(this.node as HTMLButtonElement).disabled) {
      this._options.onClick();
    }
  };

  private _sync(): void {
    const busy =
      this._options.disableWhileBusy !== false && this._options.session.busy;
    (this.node as HTMLButtonElement).disabled = busy;
    this.node.setAttribute('aria-busy', busy ? 'true' : 'false');
    const visible = this._options.visible?.(this._options.session) ?? true;
    if (this.isHidden === visible) {
      this.setHidden(!visible);
    }
  }
}

/** The toolbar items of a challenge notebook, in order. */
export function challengeToolbarItems(
  session: ChallengeSession,
  actions: { showResults: () => void; submitShortcut: string }
): Array<[string, Widget]> {
  const shortcut = actions.submitShortcut ? ` (${actions.submitShortcut})` : '';
  return [
    ['kodelab-countdown', new CountdownWidget(session)],
    [
      'kodelab-run-tests',
      new ActionButton({
        session,
        label: 'Run tests',
        title: 'Run tests: save the notebook and run the visible tests',
        icon: runIcon,
        className: 'kodelab-RunButton',
        onClick: () => void session.runTests()
      })
    ],
    [
      'kodelab-submit',
      new ActionButton({
        session,
        label: 'Submit',
        title: `Submit: save the notebook and grade it on all tests, counting an attempt${shortcut}`,
        icon: submitIcon,
        className: 'kodelab-SubmitButton',
        primary: true,
        onClick: () => void session.submit()
      })
    ],
    [
      'kodelab-hints',
      new ActionButton({
        session,
        label: 'Hints',
        title: 'Hints: show the hints unlocked so far',
        icon: hintIcon,
        className: 'kodelab-HintsButton',
        onClick: () => void session.showHints()
      })
    ],
    [
      'kodelab-give-up',
      new ActionButton({
        session,
        label: 'Give up',
        title:
          'Give up: unlock every hint and, when the challenge allows it, see the reference solution (asks first)',
        icon: giveUpIcon,
        className: 'kodelab-GiveUpButton',
        onClick: () => void confirmGiveUp(session),
        // Not once solved or given up (Hints then shows everything there is).
        visible: s => s.canGiveUp
      })
    ],
    [
      'kodelab-results',
      new ActionButton({
        session,
        label: 'Results',
        title: 'Results and history: show the KodeLab results panel',
        icon: kodelabIcon,
        className: 'kodelab-ResultsButton',
        disableWhileBusy: false,
        onClick: actions.showResults
      })
    ]
  ];
}
