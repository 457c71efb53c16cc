/*
 * Suggestions under the header's search box, as the shopper types: the product
 * lines (searching one finds the line) and products (their page) that best match
 * what is typed so far, from /api/catalog/search/suggest.
 *
 * A combobox: ArrowDown/ArrowUp move through the list, Enter takes the active
 * suggestion (or searches what is typed when none is active), Escape closes it.
 * Suggestions are a help, not a page: a late or failed answer is dropped quietly.
 *
 * data-testid: search-suggestions (the list), search-suggestion (data-kind="line" | "product")
 */

import { api } from '../shared/api.js';
import { html } from '../shared/html.js';
import { $, $$, enc } from '../shared/dom.js';
import { go } from '../shared/router.js';

const DELAY_MS = 120; // typing faster than this asks once
const KIND_LABEL = { line: '系列', product: '商品' };

export function bindSuggestions() {
  const input = $('#search-input');
  const list = $('#search-suggestions');
  let asked = 0; // the latest question: older answers are stale
  let timer = null;
  let items = [];
  let active = -1;

  const close = () => {
    list.hidden = true;
    list.innerHTML = '';
    items = [];
    active = -1;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  };

  const show = (suggestions) => {
    items = suggestions;
    active = -1;
    if (!items.length) { close(); return; }
    list.innerHTML = String(html`${items.map((s, i) => html`
      <li role="option" id="suggestion-${i}" class="suggestion" data-testid="search-suggestion" data-kind="${s.kind}"
          data-index="${i}" aria-selected="false">
        <span class="suggestion-text">${s.text}</span>
        <span class="suggestion-kind">${KIND_LABEL[s.kind] || ''}</span>
      </li>`)}`);
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  };

  const highlight = (index) => {
    active = index;
    $$('.suggestion', list).forEach((el, i) => el.setAttribute('aria-selected', String(i === active)));
    if (active >= 0) input.setAttribute('aria-activedescendant', `suggestion-${active}`);
    else input.removeAttribute('aria-activedescendant');
  };

  const take = (suggestion) => {
    close();
    if (suggestion.kind === 'product' && suggestion.product_id != null) {
      go(`#/product/${enc(suggestion.product_id)}`);
    } else {
      input.value = suggestion.text;
      go(`#/search?${new URLSearchParams({ q: suggestion.text })}`);
    }
  };

  const ask = async (text) => {
    const question = ++asked;
    try {
      const answer = await api(`/api/catalog/search/suggest?${new URLSearchParams({ q: text })}`);
      if (question === asked && input.value === text && document.activeElement === input) show(answer.items || []);
    } catch {
      if (question === asked) close();
    }
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    const text = input.value;
    if (!text.trim()) { asked += 1; close(); return; }
    timer = setTimeout(() => ask(text), DELAY_MS);
  });

  input.addEventListener('keydown', (event) => {
    if (list.hidden) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      // From none (what is typed) through each suggestion and round again.
      let next = active + (event.key === 'ArrowDown' ? 1 : -1);
      if (next >= items.length) next = -1;
      if (next < -1) next = items.length - 1;
      highlight(next);
    } else if (event.key === 'Enter' && active >= 0) {
      event.preventDefault();
      take(items[active]);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close();
    }
  });

  // pointerdown, before the input's blur closes the list
  list.addEventListener('pointerdown', (event) => {
    const option = event.target.closest('.suggestion');
    if (!option) return;
    event.preventDefault();
    take(items[Number(option.dataset.index)]);
  });
  input.addEventListener('blur', () => setTimeout(close, 0));
  $('#search-form').addEventListener('submit', () => { asked += 1; close(); });
  window.addEventListener('hashchange', close);
}
