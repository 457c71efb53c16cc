/* Components both fronts draw: images, empty and problem states, pagination, confirmations, counts. */

import { attrIf, escapeHtml, html, raw, safeUrl } from './html.js';
import { on } from './dom.js';

export function image(url, alt, className, testid = '') {
  const src = safeUrl(url);
  const tid = testid ? raw(` data-testid="${escapeHtml(testid)}"`) : '';
  if (!src) return html`<div class="${className} img-placeholder" role="img" aria-label="${alt}"${tid}>暂无图片</div>`;
  return html`<img class="${className}" src="${src}" alt="${alt}" loading="lazy"${tid}>`;
}

export function emptyState(text, extra = '') {
  return html`<div class="empty" data-testid="empty-state"><p>${text}</p>${extra}</div>`;
}

/**
 * Something went wrong, said where it happened, with the ways on: actions are
 * links ({href, label}) or buttons ({label, testid}) for the page to bind;
 * `primary` marks the main one. Drawn with an <h1> when it stands for the page.
 */
export function problemState({ title, text = '', actions = [], testid = 'problem', heading = 'h1' }) {
  const tag = heading === 'h2' ? raw('h2') : raw('h1');
  return html`
    <section class="problem panel" data-testid="${testid}">
      <${tag} class="problem-title">${title}</${tag}>
      ${text ? html`<p class="problem-text">${text}</p>` : ''}
      <div class="actions">
        ${actions.map((a, i) => {
          const kind = a.primary || (i === 0 && !actions.some((b) => b.primary)) ? 'button' : 'button secondary';
          return a.href
            ? html`<a class="${kind}" href="${a.href}"${a.testid ? raw(` data-testid="${escapeHtml(a.testid)}"`) : ''}>${a.label}</a>`
            : html`<button type="button" class="${kind}"${a.testid ? raw(` data-testid="${escapeHtml(a.testid)}"`) : ''}>${a.label}</button>`;
        })}
      </div>
    </section>`;
}

/**
 * Ask before something that cannot be undone: a modal <dialog> (focus kept
 * inside, Esc cancels) that answers true when confirmed. The cancel button has
 * the focus, so an accidental Enter does no harm.
 */
export function confirmAction({ title, text = '', confirm = '确定', cancel = '取消' }) {
  return new Promise((resolve) => {
    const dialog = document.createElement('dialog');
    dialog.className = 'confirm';
    dialog.setAttribute('aria-labelledby', 'confirm-title');
    dialog.dataset.testid = 'confirm-dialog';
    dialog.innerHTML = String(html`
      <form method="dialog">
        <h2 id="confirm-title">${title}</h2>
        ${text ? html`<p>${text}</p>` : ''}
        <div class="actions">
          <button value="cancel" class="button secondary" data-testid="confirm-cancel" autofocus>${cancel}</button>
          <button value="confirm" class="button" data-testid="confirm-ok">${confirm}</button>
        </div>
      </form>`);
    const opener = document.activeElement;
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * A count typed or stepped by a shopper, made whole and kept within 1..max:
 * answers {count, note}, where note says what was changed and why ('' when the
 * entry stood). max null: no upper bound known.
 */
export function clampCount(value, max) {
  const text = String(value ?? '').trim();
  const number = Number(text);
  let count = Number.isFinite(number) ? Math.floor(number) : NaN;
  let note = '';
  if (!Number.isFinite(count) || count < 1) {
    count = 1;
    note = '数量至少为 1 件';
  } else if (String(count) !== text) {
    note = '数量须为整数';
  }
  if (Number.isFinite(max) && max >= 1 && count > max) {
    count = max;
    note = `库存仅剩 ${max} 件，已调整为 ${max} 件`;
  }
  return { count, note };
}

/** Page numbers around the current page, with gaps. */
function pageWindow(current, last) {
  const pages = new Set([1, last, current - 1, current, current + 1]);
  const sorted = [...pages].filter((n) => n >= 1 && n <= last).sort((a, b) => a - b);
  const out = [];
  sorted.forEach((n, i) => {
    if (i > 0 && n - sorted[i - 1] > 1) out.push(null);
    out.push(n);
  });
  return out;
}

/** Pagination of a page answer ({page, pages, total}); nothing when it fits on one page. */
export function pagination(page, testid = 'pagination') {
  if (!page || !page.pages || page.pages <= 1) return '';
  const current = Number(page.page) || 1;
  const last = Number(page.pages);
  return html`
    <nav class="pagination" data-testid="${testid}" aria-label="分页">
      <button type="button" data-page="${current - 1}" data-testid="page-prev"${attrIf(current <= 1, 'disabled')}>上一页</button>
      ${pageWindow(current, last).map((n) => (n === null
        ? html`<span class="gap">…</span>`
        : html`<button type="button" data-page="${n}" data-testid="page-${n}" class="${n === current ? 'current' : ''}"${attrIf(n === current, 'aria-current="page"')}>${n}</button>`))}
      <button type="button" data-page="${current + 1}" data-testid="page-next"${attrIf(current >= last, 'disabled')}>下一页</button>
      <span class="page-info muted" data-testid="page-info">第 ${current} / ${last} 页，共 ${page.total} 条</span>
    </nav>`;
}

export function bindPagination(root, onPage) {
  on(root, '.pagination button[data-page]', 'click', (event, button) => onPage(Number(button.dataset.page)));
}
