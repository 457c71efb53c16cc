/* Small DOM helpers shared by the fronts. */

export const enc = encodeURIComponent;
export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** Attach a listener to every element matching selector under root. */
export function on(root, selector, type, handler) {
  $$(selector, root).forEach((el) => el.addEventListener(type, (event) => handler(event, el)));
}
