/*
 * A confirmation before an irreversible action, in a modal <dialog> (focus stays
 * inside it, Esc cancels). Both fronts use it:
 *
 *   if (await confirmAction({ title: '发货', message: '确认发货？', confirmText: '发货' })) …
 *
 * Test ids: confirm-dialog, confirm-message, confirm-ok, confirm-cancel.
 */

import { html } from './html.js';

let open = null;

/** Ask; resolves true when confirmed, false when cancelled (button, Esc or a second question). */
export function confirmAction({ title = '请确认', message, confirmText = '确定', cancelText = '取消', danger = false }) {
  if (open) open(false);
  const dialog = document.createElement('dialog');
  dialog.className = 'confirm-dialog';
  dialog.dataset.testid = 'confirm-dialog';
  dialog.setAttribute('aria-labelledby', 'confirm-title');
  dialog.innerHTML = String(html`
    <form method="dialog" class="confirm-form">
      <h2 id="confirm-title">${title}</h2>
      <p data-testid="confirm-message">${message}</p>
      <div class="actions">
        <button type="submit" value="ok" class="button${danger ? ' danger' : ''}" data-testid="confirm-ok">${confirmText}</button>
        <button type="submit" value="cancel" class="button secondary" data-testid="confirm-cancel">${cancelText}</button>
      </div>
    </form>`);
  document.body.append(dialog);
  return new Promise((resolve) => {
    const done = (answer) => {
      if (open !== done) return;
      open = null;
      if (dialog.open) dialog.close();
      dialog.remove();
      resolve(answer);
    };
    open = done;
    dialog.addEventListener('close', () => done(dialog.returnValue === 'ok'));
    dialog.showModal();
    dialog.querySelector('[data-testid="confirm-cancel"]').focus();
  });
}
