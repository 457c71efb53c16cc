/*
 * The page's two message boxes (an error, role=alert, and a notice, role=status)
 * and the one way to report a failure. A front's index.html holds the markup:
 *
 *   #error-box  > #error-text  + #error-close
 *   #notice-box > #notice-text + #notice-close
 *
 * A front decides what a 401 means for it (the storefront sends to its sign-in
 * page) through configureMessages({ onUnauthorized }).
 */

import { ApiError } from './api.js';
import { $ } from './dom.js';

const hooks = { onUnauthorized: null };

/** onUnauthorized(err) → true when it handled the 401 (otherwise the detail is shown). */
export function configureMessages({ onUnauthorized = null } = {}) {
  hooks.onUnauthorized = onUnauthorized;
}

function showMessage(kind, text) {
  $(`#${kind}-text`).textContent = text;
  $(`#${kind}-box`).hidden = false;
}

export const showError = (text) => showMessage('error', text);
export const showNotice = (text) => showMessage('notice', text);

export function clearMessages() {
  for (const kind of ['error', 'notice']) {
    $(`#${kind}-box`).hidden = true;
    $(`#${kind}-text`).textContent = '';
  }
}

export function bindMessageButtons() {
  $('#error-close').addEventListener('click', () => { $('#error-box').hidden = true; });
  $('#notice-close').addEventListener('click', () => { $('#notice-box').hidden = true; });
}

/** Show any error to the shopper; a 401 goes to the front's onUnauthorized first. */
export function handleError(err) {
  if (!(err instanceof ApiError)) {
    console.error(err);
    showError(`页面出现错误：${err && err.message ? err.message : err}`);
    return;
  }
  if (err.status === 401 && hooks.onUnauthorized && hooks.onUnauthorized(err)) return;
  showError(errorText(err));
}

/** The server's message, with the facts it sent that help the shopper (how many are left). */
export function errorText(err) {
  const body = err.body && typeof err.body === 'object' ? err.body : {};
  const available = body.available === null || body.available === undefined ? NaN : Number(body.available);
  if (err.code === 'insufficient_stock' && Number.isInteger(available) && available >= 0) {
    return available > 0 ? `${err.detail}（仅剩 ${available} 件）` : `${err.detail}（已售罄）`;
  }
  return err.detail;
}

/** Run an action for a button or form: disable it meanwhile, report errors. */
export async function withBusy(el, action) {
  clearMessages();
  if (el) el.disabled = true;
  try {
    return await action();
  } catch (err) {
    handleError(err);
    return undefined;
  } finally {
    if (el) el.disabled = false;
  }
}
