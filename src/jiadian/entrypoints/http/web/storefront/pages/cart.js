/* #/cart — the cart: lines, counts, the ticked lines' total, on to checkout. */

import { api, del, post, put } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { $, $$, enc, on } from '../../shared/dom.js';
import { image } from '../../shared/components.js';
import { money, specs } from '../../shared/format.js';
import { handleError, showError, showNotice, withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { setCartLines } from '../session.js';

/** Which cart lines the shopper ticked; new lines start ticked. Keys are String(sku_id). */
const cartSelection = { chosen: new Set(), seen: new Set() };

const CART_PROBLEMS = {
  deleted: '商品已删除',
  off_shelf: '商品已下架',
  out_of_stock: '暂时缺货',
  over_stock: '库存不足，请减少数量',
  over_amount_limit: '金额超出上限，请减少数量',
};

/** A line the server says can be bought as it stands (lines without the flag count as buyable). */
const buyable = (line) => line.available !== false;

function syncCartSelection(lines) {
  const present = new Set(lines.filter(buyable).map((l) => String(l.sku_id)));
  for (const key of present) {
    if (!cartSelection.seen.has(key)) cartSelection.chosen.add(key);
    cartSelection.seen.add(key);
  }
  for (const key of [...cartSelection.chosen]) if (!present.has(key)) cartSelection.chosen.delete(key);
}

export async function render(ctx) {
  document.title = '购物车 - 家电之选';
  const cart = await api('/api/cart');
  setCartLines(cart.lines.length);
  syncCartSelection(cart.lines);
  if (!cart.lines.length) {
    ctx.render(html`<h1>我的购物车</h1>
      <div class="empty" data-testid="cart-empty"><p>购物车是空的</p><a class="button" href="#/">去逛逛</a></div>`);
    return;
  }
  const allChosen = cart.lines.filter(buyable).every((l) => cartSelection.chosen.has(String(l.sku_id)));
  if (!ctx.render(html`
    <h1>我的购物车</h1>
    <div class="cart">
      <div class="cart-head">
        <label class="checkbox"><input type="checkbox" data-testid="cart-select-all"${attrIf(allChosen, 'checked')}> 全选</label>
        <span>商品</span><span>单价</span><span>数量</span><span>小计</span><span>操作</span>
      </div>
      ${cart.lines.map(cartLine)}
    </div>
    <div class="cart-summary panel">
      <span>已选 <strong data-testid="cart-selected-count">0</strong> 件商品</span>
      <span>合计（不含运费）：<strong class="price big" data-testid="cart-total">—</strong></span>
      <button type="button" class="button" data-testid="checkout-button">去结算</button>
    </div>`)) return;
  bindCart(ctx, cart);
  updateCartSummary(ctx, cart);
}

function cartLine(line) {
  const key = String(line.sku_id);
  const ok = buyable(line);
  const href = line.product_id === null || line.product_id === undefined ? null : `#/product/${enc(line.product_id)}`;
  const problem = ok ? '' : CART_PROBLEMS[line.problem] || '该商品暂不可购买';
  return html`
    <div class="cart-line${ok ? '' : ' unavailable'}" data-testid="cart-line" data-sku-id="${line.sku_id}">
      <label class="cart-select"><input type="checkbox" data-key="${key}" data-testid="cart-line-select"
             aria-label="选择 ${line.name}"${attrIf(ok && cartSelection.chosen.has(key), 'checked')}${attrIf(!ok, 'disabled')}></label>
      ${href ? html`<a class="cart-img" href="${href}">${image(line.image_url, line.name, 'line-img')}</a>`
    : html`<span class="cart-img">${image(line.image_url, line.name, 'line-img')}</span>`}
      <div class="cart-info">
        ${href ? html`<a href="${href}">${line.name}</a>` : html`<span>${line.name}</span>`}
        <span class="muted">${specs(line)}</span>
        <span class="muted small">库存 ${line.stock}</span>
        ${problem ? html`<span class="tag line-problem" data-testid="cart-line-problem">${problem}</span>` : ''}
      </div>
      <div class="cart-price" data-testid="cart-line-price">${money(line.price)}</div>
      <div class="cart-count stepper">
        <button type="button" data-key="${key}" data-testid="cart-line-dec" aria-label="减少"${attrIf(Number(line.count) <= 1, 'disabled')}>−</button>
        <input type="number" min="1" step="1" inputmode="numeric" value="${line.count}" data-key="${key}"
               data-testid="cart-line-count" aria-label="${line.name} 数量">
        <button type="button" data-key="${key}" data-testid="cart-line-inc" aria-label="增加">+</button>
      </div>
      <div class="cart-total price" data-testid="cart-line-total">${money(line.line_total)}</div>
      <div class="cart-remove"><button type="button" class="link-button danger" data-key="${key}" data-testid="cart-line-remove">删除</button></div>
    </div>`;
}

function bindCart(ctx, cart) {
  const lineOf = (key) => cart.lines.find((l) => String(l.sku_id) === key);
  const setCount = (el, key, count) => withBusy(el, async () => {
    try {
      await put(`/api/cart/items/${enc(lineOf(key).sku_id)}`, { count });
    } finally {
      await reloadCart(ctx);
    }
  });
  on(ctx.view, '[data-testid="cart-line-select"]', 'change', (event, box) => {
    if (box.checked) cartSelection.chosen.add(box.dataset.key); else cartSelection.chosen.delete(box.dataset.key);
    $('[data-testid="cart-select-all"]', ctx.view).checked = cart.lines.filter(buyable).every((l) => cartSelection.chosen.has(String(l.sku_id)));
    updateCartSummary(ctx, cart);
  });
  on(ctx.view, '[data-testid="cart-select-all"]', 'change', (event, box) => {
    cart.lines.filter(buyable).forEach((l) => (box.checked ? cartSelection.chosen.add(String(l.sku_id)) : cartSelection.chosen.delete(String(l.sku_id))));
    $$('[data-testid="cart-line-select"]:not(:disabled)', ctx.view).forEach((b) => { b.checked = box.checked; });
    updateCartSummary(ctx, cart);
  });
  on(ctx.view, '[data-testid="cart-line-dec"]', 'click', (event, button) => setCount(button, button.dataset.key, Number(lineOf(button.dataset.key).count) - 1));
  on(ctx.view, '[data-testid="cart-line-inc"]', 'click', (event, button) => setCount(button, button.dataset.key, Number(lineOf(button.dataset.key).count) + 1));
  on(ctx.view, '[data-testid="cart-line-count"]', 'change', (event, input) => {
    const count = parseInt(input.value, 10);
    setCount(input, input.dataset.key, Number.isFinite(count) ? count : input.value);
  });
  on(ctx.view, '[data-testid="cart-line-remove"]', 'click', (event, button) => withBusy(button, async () => {
    await del(`/api/cart/items/${enc(lineOf(button.dataset.key).sku_id)}`);
    cartSelection.chosen.delete(button.dataset.key);
    showNotice('已从购物车删除');
    await reloadCart(ctx);
  }));
  on(ctx.view, '[data-testid="checkout-button"]', 'click', () => {
    const chosen = cart.lines.filter((l) => buyable(l) && cartSelection.chosen.has(String(l.sku_id)));
    if (!chosen.length) {
      showError('请先选择要结算的商品');
      return;
    }
    go(`#/checkout?skus=${chosen.map((l) => enc(l.sku_id)).join(',')}`);
  });
}

/** Re-render the cart in place, keeping the messages on screen. */
async function reloadCart(ctx) {
  if (!ctx.alive) return;
  const error = $('#error-box').hidden ? null : $('#error-text').textContent;
  const notice = $('#notice-box').hidden ? null : $('#notice-text').textContent;
  const scroll = window.scrollY;
  try {
    await render(ctx);
  } catch (err) {
    handleError(err);
    return;
  }
  if (error) showError(error);
  if (notice) showNotice(notice);
  window.scrollTo(0, scroll);
}

let cartSummarySeq = 0;

/** Show the server's total for the ticked lines (the cart amount, or a checkout preview). */
async function updateCartSummary(ctx, cart) {
  const seq = ++cartSummarySeq;
  const chosen = cart.lines.filter((l) => buyable(l) && cartSelection.chosen.has(String(l.sku_id)));
  const countEl = $('[data-testid="cart-selected-count"]', ctx.view);
  const totalEl = $('[data-testid="cart-total"]', ctx.view);
  $('[data-testid="checkout-button"]', ctx.view).disabled = !chosen.length;
  if (!chosen.length) {
    countEl.textContent = '0';
    totalEl.textContent = money('0.00');
    return;
  }
  if (chosen.length === cart.lines.filter(buyable).length) {
    // The cart's own totals cover exactly its buyable lines.
    countEl.textContent = String(cart.total_count);
    totalEl.textContent = money(cart.amount);
    return;
  }
  totalEl.textContent = '计算中…';
  try {
    const preview = await post('/api/checkout/preview', { sku_ids: chosen.map((l) => l.sku_id) });
    if (seq !== cartSummarySeq || !ctx.alive) return;
    countEl.textContent = String(preview.total_count);
    totalEl.textContent = money(preview.amount);
  } catch (err) {
    if (seq !== cartSummarySeq || !ctx.alive) return;
    totalEl.textContent = '—';
    handleError(err);
  }
}
