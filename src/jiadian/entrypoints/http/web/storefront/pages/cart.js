/*
 * #/cart — the cart: lines, counts, the ticked lines' total, on to checkout.
 * A signed-in shopper's cart is the account's; a guest's is kept in this
 * browser (guest-cart.js) and priced by the server the same way, and checkout
 * asks them to sign in first (their lines come along). Counts stay within
 * 1..stock and say so when changed; a removed line can be brought back.
 */

import { api, ApiError, del, post, put } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { $, $$, enc, on } from '../../shared/dom.js';
import { clampCount, image } from '../../shared/components.js';
import { money, specs } from '../../shared/format.js';
import { clearMessages, errorText, handleError, showError, showNotice, withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { quoteGuestCart, removeGuestLine, setGuestLine } from '../guest-cart.js';
import { setCartLines, state } from '../session.js';

/** Which cart lines the shopper ticked; new lines start ticked. Keys are String(sku_id). */
const cartSelection = { chosen: new Set(), seen: new Set() };

const CART_PROBLEMS = {
  deleted: '商品已删除',
  off_shelf: '商品已下架',
  out_of_stock: '暂时缺货',
  over_stock: '库存不足，请减少数量',
  over_amount_limit: '金额超出上限，请减少数量',
};

/** Where the lines live: the account's cart on the server, or the guest's in this browser. */
const ACCOUNT = {
  guest: false,
  setCount: (sku, count) => put(`/api/cart/items/${enc(sku)}`, { count }),
  remove: (sku) => del(`/api/cart/items/${enc(sku)}`),
  restore: (sku, count) => post('/api/cart/items', { sku_id: sku, count }),
  preview: (lines) => post('/api/checkout/preview', { sku_ids: lines.map((l) => l.sku_id) }),
};
const GUEST = {
  guest: true,
  setCount: async (sku, count) => setGuestLine(sku, count),
  remove: async (sku) => removeGuestLine(sku),
  restore: async (sku, count) => setGuestLine(sku, count),
  preview: (lines) => post('/api/cart/guest', { lines: lines.map((l) => ({ sku_id: l.sku_id, count: l.count })) }),
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

/**
 * The account's cart, or — when nobody is signed in — the guest's, asked for without waiting on /api/me.
 * A shopper who was signed in and whose session ended is asked to sign in again (the router's 401).
 */
async function loadCart() {
  try {
    return { store: ACCOUNT, cart: await api('/api/cart') };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    await state.sessionLoaded;
    if (state.user) throw err;
    return { store: GUEST, cart: await quoteGuestCart() };
  }
}

export async function render(ctx, notes = {}) {
  document.title = '购物车 - 家电之选';
  const { store, cart } = await loadCart();
  if (!ctx.alive) return;
  setCartLines(cart.lines.length || null);
  syncCartSelection(cart.lines);
  if (!cart.lines.length) {
    ctx.render(html`<h1>我的购物车</h1>
      <div class="empty" data-testid="cart-empty"><p>购物车是空的</p><a class="button" href="#/">去逛逛</a></div>`);
    return;
  }
  const allChosen = cart.lines.filter(buyable).every((l) => cartSelection.chosen.has(String(l.sku_id)));
  if (!ctx.render(html`
    <h1>我的购物车</h1>
    ${store.guest ? html`<p class="hint" data-testid="guest-cart-hint">您还没有登录：购物车先保存在这台设备上，<a class="text-link" href="#/login?next=${enc('#/cart')}">登录</a>后会放入您的账号。</p>` : ''}
    <div class="cart">
      <div class="cart-head">
        <label class="checkbox"><input type="checkbox" data-testid="cart-select-all"${attrIf(allChosen, 'checked')}> 全选</label>
        <span>商品</span><span>单价</span><span>数量</span><span>小计</span><span>操作</span>
      </div>
      ${cart.lines.map((line) => cartLine(line, notes[String(line.sku_id)]))}
    </div>
    <div class="cart-summary panel">
      <span>已选 <strong data-testid="cart-selected-count">0</strong> 件商品</span>
      <span>合计（不含运费）：<strong class="price big" data-testid="cart-total">—</strong></span>
      <button type="button" class="button" data-testid="checkout-button">去结算</button>
    </div>`)) return;
  bindCart(ctx, cart, store);
  updateCartSummary(ctx, cart, store);
}

function cartLine(line, note) {
  const key = String(line.sku_id);
  const ok = buyable(line);
  const href = line.product_id === null || line.product_id === undefined
    ? null : `#/product/${enc(line.product_id)}?sku=${enc(line.sku_id)}`;
  const problem = ok ? '' : CART_PROBLEMS[line.problem] || '该商品暂不可购买';
  const name = line.name || '已删除的商品';
  const max = Number(line.stock) >= 1 ? Number(line.stock) : null;
  return html`
    <div class="cart-line${ok ? '' : ' unavailable'}" data-testid="cart-line" data-sku-id="${line.sku_id}">
      <label class="cart-select"><input type="checkbox" data-key="${key}" data-testid="cart-line-select"
             aria-label="选择${name}"${attrIf(ok && cartSelection.chosen.has(key), 'checked')}${attrIf(!ok, 'disabled')}></label>
      ${href ? html`<a class="cart-img" href="${href}" tabindex="-1" aria-hidden="true">${image(line.image_url, '', 'line-img')}</a>`
    : html`<span class="cart-img">${image(line.image_url, '', 'line-img')}</span>`}
      <div class="cart-info">
        ${href ? html`<a href="${href}">${name}</a>` : html`<span>${name}</span>`}
        <span class="muted">${specs(line)}</span>
        <span class="muted small">库存 ${line.stock}</span>
        ${problem ? html`<span class="tag line-problem" data-testid="cart-line-problem">${problem}</span>` : ''}
        <span class="field-note" role="status" data-testid="cart-line-note">${note || ''}</span>
      </div>
      <div class="cart-price" data-testid="cart-line-price">${money(line.price)}</div>
      <div class="cart-count stepper">
        <button type="button" data-key="${key}" data-testid="cart-line-dec" aria-label="减少${name}的数量"${attrIf(Number(line.count) <= 1, 'disabled')}>−</button>
        <input type="text" inputmode="numeric" pattern="[0-9]*" autocomplete="off" value="${line.count}" data-key="${key}"
               data-testid="cart-line-count" aria-label="${name}的数量">
        <button type="button" data-key="${key}" data-testid="cart-line-inc" aria-label="增加${name}的数量"${attrIf(max !== null && Number(line.count) >= max, 'disabled')}>+</button>
      </div>
      <div class="cart-total price" data-testid="cart-line-total">${money(line.line_total)}</div>
      <div class="cart-remove"><button type="button" class="link-button danger" data-key="${key}" data-testid="cart-line-remove"
        aria-label="删除${name}">删除</button></div>
    </div>`;
}

function bindCart(ctx, cart, store) {
  const lineOf = (key) => cart.lines.find((l) => String(l.sku_id) === key);
  /** A count as the shopper asked for it, kept within 1..stock; a changed one says why beside the line. */
  const setCount = (el, key, asked) => {
    const line = lineOf(key);
    const { count, note } = clampCount(asked, Number(line.stock) >= 1 ? Number(line.stock) : null);
    return withBusy(el, async () => {
      try {
        if (count !== Number(line.count)) await store.setCount(line.sku_id, count);
      } finally {
        await reloadCart(ctx, note ? { [key]: note } : {});
      }
    });
  };
  on(ctx.view, '[data-testid="cart-line-select"]', 'change', (event, box) => {
    if (box.checked) cartSelection.chosen.add(box.dataset.key); else cartSelection.chosen.delete(box.dataset.key);
    $('[data-testid="cart-select-all"]', ctx.view).checked = cart.lines.filter(buyable).every((l) => cartSelection.chosen.has(String(l.sku_id)));
    updateCartSummary(ctx, cart, store);
  });
  on(ctx.view, '[data-testid="cart-select-all"]', 'change', (event, box) => {
    cart.lines.filter(buyable).forEach((l) => (box.checked ? cartSelection.chosen.add(String(l.sku_id)) : cartSelection.chosen.delete(String(l.sku_id))));
    $$('[data-testid="cart-line-select"]:not(:disabled)', ctx.view).forEach((b) => { b.checked = box.checked; });
    updateCartSummary(ctx, cart, store);
  });
  on(ctx.view, '[data-testid="cart-line-dec"]', 'click', (event, button) => setCount(button, button.dataset.key, Number(lineOf(button.dataset.key).count) - 1));
  on(ctx.view, '[data-testid="cart-line-inc"]', 'click', (event, button) => setCount(button, button.dataset.key, Number(lineOf(button.dataset.key).count) + 1));
  on(ctx.view, '[data-testid="cart-line-count"]', 'change', (event, input) => setCount(input, input.dataset.key, input.value));
  on(ctx.view, '[data-testid="cart-line-remove"]', 'click', (event, button) => withBusy(button, async () => {
    const line = lineOf(button.dataset.key);
    await store.remove(line.sku_id);
    cartSelection.chosen.delete(button.dataset.key);
    await reloadCart(ctx);
    // Removing is one tap: the notice offers it back for a few seconds.
    showNotice(`已从购物车删除“${line.name || '商品'}”`, {
      action: {
        label: '撤销',
        run: () => withBusy(null, async () => {
          await store.restore(line.sku_id, Number(line.count));
          cartSelection.chosen.add(button.dataset.key);
          await reloadCart(ctx);
          showNotice('已恢复到购物车');
        }),
      },
    });
  }));
  on(ctx.view, '[data-testid="checkout-button"]', 'click', () => {
    const chosen = cart.lines.filter((l) => buyable(l) && cartSelection.chosen.has(String(l.sku_id)));
    if (!chosen.length) {
      showError('请先选择要结算的商品');
      return;
    }
    const checkout = `#/checkout?skus=${chosen.map((l) => enc(l.sku_id)).join(',')}`;
    if (store.guest) go(`#/login?next=${enc(checkout)}`, { notice: '请先登录再结算：购物车里的商品会随您登录放入账号' });
    else go(checkout);
  });
}

/** Re-render the cart in place (notes beside lines by sku), keeping the messages and the scroll. */
async function reloadCart(ctx, notes = {}) {
  if (!ctx.alive) return;
  const error = $('#error-box').hidden ? null : $('#error-text').textContent;
  const scroll = window.scrollY;
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset : {};
  try {
    await render(ctx, notes);
  } catch (err) {
    handleError(err);
    return;
  }
  if (error) showError(error);
  window.scrollTo(0, scroll);
  // Keep the keyboard where it was: the same control of the same line, if it is still there.
  if (focused.testid) {
    const again = $(`[data-testid="${focused.testid}"]${focused.key ? `[data-key="${focused.key}"]` : ''}`, ctx.view);
    if (again && !again.disabled) again.focus();
  }
}

let cartSummarySeq = 0;

/** Show the server's total for the ticked lines (the cart amount, or a checkout preview). */
async function updateCartSummary(ctx, cart, store) {
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
    const preview = await store.preview(chosen);
    if (seq !== cartSummarySeq || !ctx.alive) return;
    countEl.textContent = String(preview.total_count);
    totalEl.textContent = money(preview.amount);
  } catch (err) {
    if (seq !== cartSummarySeq || !ctx.alive) return;
    totalEl.textContent = '—';
    clearMessages();
    showError(`合计暂时无法计算：${errorText(err)}`);
  }
}
