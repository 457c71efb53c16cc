/* Components both fronts draw: images, empty states, pagination. */

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
