/*
 * A confirmation before an irreversible action, in a modal <dialog> (focus stays
 * inside it, Esc cancels). Both fronts use it:
 *
 *   if (await confirmAction({ title: '发货', message: '确认发货？', confirmText: '发货' })) …
 *   const answer = await askText({ title: '拒绝退款', message: '…', label: '答复买家', required: true });
 *
 * Test ids: confirm-dialog, confirm-message, confirm-input, confirm-ok, confirm-cancel.
 */

import { html } from './html.js';

let open = null;

/** Ask; resolves true when confirmed, false when cancelled (button, Esc or a second question). */
export async function confirmAction(options) {
  return (await ask(options)) !== null;
}

/**
 * Ask for a short text with the confirmation (a reason, an answer): resolves the text (trimmed), or null
 * when cancelled. `required`: the confirm button needs some text. Test id of the field: confirm-input.
 */
export function askText({ label, required = false, maxlength = 255, ...options }) {
  return ask({ ...options, input: { label, required, maxlength } });
}

function ask({ title = '请确认', message, confirmText = '确定', cancelText = '取消', danger = false, input = null }) {
  if (open) open(null);
  const dialog = document.createElement('dialog');
  dialog.className = 'confirm-dialog';
  dialog.dataset.testid = 'confirm-dialog';
  dialog.setAttribute('aria-labelledby', 'confirm-title');
  dialog.innerHTML = String(html`
    <form method="dialog" class="confirm-form">
      <h2 id="confirm-title">${title}</h2>
      <p data-testid="confirm-message">${message}</p>
      ${input ? html`<label class="confirm-field">${input.label}
        <textarea name="text" rows="3" maxlength="${input.maxlength}" data-testid="confirm-input"${input.required ? html` required` : ''}></textarea></label>` : ''}
      <div class="actions">
        <button type="submit" value="ok" class="button${danger ? ' danger' : ''}" data-testid="confirm-ok">${confirmText}</button>
        <button type="submit" value="cancel" class="button secondary" data-testid="confirm-cancel">${cancelText}</button>
      </div>
    </form>`);
  document.body.append(dialog);
  const field = dialog.querySelector('textarea');
  // Cancelling never needs the text: only the confirm button is held to `required`.
  dialog.querySelector('[data-testid="confirm-cancel"]').formNoValidate = true;
  return new Promise((resolve) => {
    const done = (answer) => {
      if (open !== done) return;
      open = null;
      if (dialog.open) dialog.close();
      dialog.remove();
      resolve(answer);
    };
    open = done;
    dialog.addEventListener('close', () => done(dialog.returnValue === 'ok' ? (field ? field.value.trim() : '') : null));
    dialog.showModal();
    (field || dialog.querySelector('[data-testid="confirm-cancel"]')).focus();
  });
}
