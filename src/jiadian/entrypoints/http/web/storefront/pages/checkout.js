/* #/checkout?skus=1,2 (chosen cart lines) or ?sku=5&count=2 ("buy now") — confirm and place the order. */

import { api, post } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { $, enc, on } from '../../shared/dom.js';
import { emptyState } from '../../shared/components.js';
import { money, newIdempotencyKey, toId } from '../../shared/format.js';
import { showError, withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { orderLine } from '../components.js';
import { refreshCartBadge } from '../session.js';

/** The checkout request (sku_ids or buy_now) encoded in the hash query. */
function checkoutRequest(query) {
  if (query.get('sku')) {
    return { buy_now: { sku_id: toId(query.get('sku')), count: parseInt(query.get('count'), 10) || 1 } };
  }
  const skus = (query.get('skus') || '').split(',').filter(Boolean).map(toId);
  return skus.length ? { sku_ids: skus } : null;
}

export async function render(ctx) {
  document.title = '确认订单 - 家电之选';
  const request = checkoutRequest(ctx.query);
  if (!request) {
    ctx.render(emptyState('请先选择要结算的商品', html`<a class="button" href="#/cart">返回购物车</a>`));
    return;
  }
  const [preview, addresses] = await Promise.all([post('/api/checkout/preview', request), api('/api/me/addresses')]);
  const here = location.hash;
  const defaultAddress = addresses.find((a) => a.is_default) || addresses[0];
  if (!ctx.render(html`
    <h1>确认订单</h1>
    <section class="panel">
      <div class="section-head"><h2>收货地址</h2>
        <a href="#/user/addresses?next=${enc(here)}" data-testid="add-address-link">${addresses.length ? '管理收货地址' : '新增收货地址'}</a></div>
      ${addresses.length ? html`
        <div class="address-picker" role="radiogroup" aria-label="收货地址" data-testid="address-picker">
          ${addresses.map((a) => html`
            <label class="address-option">
              <input type="radio" name="address" value="${a.id}" data-testid="address-option"${attrIf(a === defaultAddress, 'checked')}>
              <span><strong>${a.recipient}</strong> ${a.phone} ${a.is_default ? html`<span class="tag">默认</span>` : ''}<br>
                ${a.province} ${a.city} ${a.county} ${a.detail}</span>
            </label>`)}
        </div>` : html`<p class="muted" data-testid="no-address">您还没有收货地址，请先新增一个。</p>`}
    </section>
    <section class="panel">
      <h2>商品清单</h2>
      ${(preview.lines || []).map((line) => html`<div data-testid="checkout-line">${orderLine(line)}</div>`)}
    </section>
    <section class="panel">
      <h2>订单备注</h2>
      <textarea class="mark" rows="2" maxlength="200" placeholder="选填：对本次购买的说明" data-testid="order-mark"></textarea>
    </section>
    <section class="panel checkout-summary">
      <p>共 <strong data-testid="checkout-count">${preview.total_count}</strong> 件商品</p>
      <p>商品金额：<span data-testid="checkout-amount">${money(preview.amount)}</span></p>
      <p>运费：<span data-testid="checkout-freight">${money(preview.freight)}</span></p>
      <p class="grand">应付总额：<strong class="price big" data-testid="checkout-total">${money(preview.total)}</strong></p>
      <button type="button" class="button big" data-testid="place-order-button">提交订单</button>
    </section>`)) return;

  // One key per checkout attempt: a retry after a lost answer reuses it, so the
  // server can recognise it and never creates a second order.
  let idempotencyKey = newIdempotencyKey();
  on(ctx.view, '[data-testid="place-order-button"]', 'click', (event, button) => withBusy(button, async () => {
    const picked = $('input[name="address"]:checked', ctx.view);
    if (!picked) {
      showError('请选择收货地址');
      return;
    }
    const mark = $('[data-testid="order-mark"]', ctx.view).value.trim();
    const body = { ...request, address_id: toId(picked.value) };
    if (mark) body.mark = mark;
    try {
      const order = await post('/api/orders', body, { 'Idempotency-Key': idempotencyKey });
      refreshCartBadge();
      go(`#/pay/${enc(order.order_id)}`, { notice: '订单已提交，请尽快支付' });
    } catch (err) {
      // A definite refusal ends this attempt; the shopper's next try is a new one.
      if ([400, 404, 422].includes(err.status) || err.code === 'insufficient_stock') idempotencyKey = newIdempotencyKey();
      throw err;
    }
  }));
}
