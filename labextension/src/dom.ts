/**
 * A tiny DOM builder. Text goes in as textContent, never as HTML: messages can echo a
 * student's output.
 */

/** Attribute values: `false`, null and undefined leave the attribute out. */
export type Attrs = Record<
  string,
  string | number | boolean | null | undefined
>;

/** A child: nodes and strings are appended, empty values skipped. */
export type Child = Node | string | null | undefined | false;

/** Create an element with attributes (`class`, `text` are special) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key === 'class') {
      node.className = String(value);
    } else if (key === 'text') {
      node.textContent = String(value);
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child);
    }
  }
  return node;
}

/** Text for screen readers only. */
export function srOnly(text: string): HTMLSpanElement {
  return h('span', { class: 'kodelab-srOnly', text });
}
