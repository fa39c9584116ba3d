/**
 * KodeLab's icons (LabIcon, so they follow the light and dark themes via jp-icon3).
 */
import { LabIcon } from '@jupyterlab/ui-components';

const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M7.6 5.2 1.8 12l5.8 6.8 1.5-1.3L4.4 12l4.7-5.5z"/>
    <path d="M16.4 5.2 14.9 6.5l4.7 5.5-4.7 5.5 1.5 1.3 5.8-6.8z"/>
    <path d="M9.6 6h2.1v5l3.4-5h2.4l-3.7 5.3 3.9 6.7h-2.4l-2.8-5-0.8 1.1V18H9.6z"/>
  </g>
</svg>`;

const SUBMIT = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M11 20V8.8l-4.6 4.6L5 12l7-7 7 7-1.4 1.4L13 8.8V20z"/>
    <path d="M4 3h16v2H4z"/>
  </g>
</svg>`;

const HINT = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M9 21h6v-1.5H9zm3-19a7 7 0 0 0-4 12.7V17a1 1 0 0 0 1 1h6a1 1 0 0 0 1-1v-2.3A7 7 0 0 0 12 2zm2.9 11.1-.9.6V16h-4v-2.3l-.9-.6a5 5 0 1 1 5.8 0z"/>
  </g>
</svg>`;

const CLOCK = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16z"/>
    <path d="M12.5 7H11v6l5.2 3.1.8-1.3-4.5-2.6z"/>
  </g>
</svg>`;

const DICE = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g fill="currentColor">
    <path d="M5 3h14a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm0 2v14h14V5z"/>
    <circle cx="8" cy="8" r="1.5"/><circle cx="16" cy="8" r="1.5"/><circle cx="12" cy="12" r="1.5"/>
    <circle cx="8" cy="16" r="1.5"/><circle cx="16" cy="16" r="1.5"/>
  </g>
</svg>`;

/** The KodeLab logo (sidebar tab, results panel). */
export const kodelabIcon = new LabIcon({
  name: 'kodelab-jupyter:logo',
  svgstr: LOGO
});

/** Submit. */
export const submitIcon = new LabIcon({
  name: 'kodelab-jupyter:submit',
  svgstr: SUBMIT
});

/** Hints. */
export const hintIcon = new LabIcon({
  name: 'kodelab-jupyter:hint',
  svgstr: HINT
});

/** The countdown's clock. */
export const clockIcon = new LabIcon({
  name: 'kodelab-jupyter:clock',
  svgstr: CLOCK
});

/** Random challenge. */
export const diceIcon = new LabIcon({
  name: 'kodelab-jupyter:dice',
  svgstr: DICE
});

const INTERVIEW = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm0-6a2 2 0 1 1 0 4 2 2 0 0 1 0-4z"/>
    <path d="M1 20c0-3.3 3.6-6 8-6s8 2.7 8 6v1H1zm2.2-1h11.6c-.6-1.7-2.9-3-5.8-3s-5.2 1.3-5.8 3z"/>
    <path d="M15 3h8v6h-4l-3 2.5V9h-1z"/>
  </g>
</svg>`;

/** Interviews (the lobby's sidebar tab). */
export const interviewIcon = new LabIcon({
  name: 'kodelab-jupyter:interview',
  svgstr: INTERVIEW
});

const FLAG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M5 2h2v20H5z"/>
    <path d="M8 3h11l-2.5 4.5L19 12H8zm2 2v5h5.6l-1.4-2.5L15.6 5z"/>
  </g>
</svg>`;

/** Give up (a white flag). */
export const giveUpIcon = new LabIcon({
  name: 'kodelab-jupyter:give-up',
  svgstr: FLAG
});
