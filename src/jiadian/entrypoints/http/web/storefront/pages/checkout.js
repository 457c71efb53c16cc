/* #/checkout?skus=1,2 (chosen cart lines) or ?sku=5&count=2&product=3 ("buy now") — confirm and place the order. */

import { api, ApiError, isTransient, post } from '../../shared/api.js';
import { attrIf, html } from '../../shared/html.js';
import { $, enc, on } from '../../shared/dom.js';
import { problemState } from '../../shared/components.js';
import { money, newIdempotencyKey, toId } from '../../shared/format.js';
import { errorText, showError, withBusy } from '../../shared/messages.js';
import { go } from '../../shared/router.js';
import { orderLine } from '../components.js';
import { refreshCartBadge } from '../session.js';

/**
 * Why this checkout cannot go on, and the ways on: the lines already ordered (Back after placing an
 * order), a sku gone or off the shelf, fewer in stock than asked (buy the most there is).
 */
function checkoutProblem(err, request, productId) {
  const buyNow = Boolean(request.buy_now);
  const product = productId && /^\d+$/.test(productId) ? `#/product/${enc(productId)}?sku=${enc(request.buy_now.sku_id)}` : null;
  const back = buyNow
    ? { href: product || '#/category/all', label: product ? '返回商品页' : '浏览全部商品' }
    : { href: '#/cart', label: '返回购物车' };
  if (err.code === 'not_found') {
    return buyNow
      ? problemState({
        title: '这件商品已经不存在了', text: '它可能已被删除，看看其他商品吧。', testid: 'checkout-problem',
        actions: [{ href: '#/category/all', label: '浏览全部商品' }, { href: '#/', label: '返回首页' }],
      })
      : problemState({
        title: '这些商品已经不在购物车里了',
        text: '它们可能已经下单（请到“我的订单”查看并支付），或已从购物车删除。',
        testid: 'checkout-problem',
        actions: [{ href: '#/user/orders?status=1', label: '查看待支付订单', primary: true }, back],
      });
  }
  if (err.code === 'insufficient_stock') {
    const left = err.body && Number.isInteger(err.body.available) ? err.body.available : null;
    const most = buyNow && left > 0
      ? [{ href: `#/checkout?${new URLSearchParams({ sku: request.buy_now.sku_id, count: left, ...(productId ? { product: productId } : {}) })}`, label: `购买 ${left} 件`, primary: true, testid: 'buy-available' }]
      : [];
    return problemState({
      title: '库存不足',
      text: left === null ? '商品库存不足，请减少数量。' : (left > 0 ? `这件商品仅剩 ${left} 件。` : '这件商品已经售罄。'),
      testid: 'checkout-problem',
      actions: [...most, back],
    });
  }
  if (err.code === 'off_shelf') {
    return problemState({
      title: '商品已下架', text: buyNow ? '这件商品已经下架，暂时不能购买。' : '购物车里有商品已经下架，请回到购物车去掉它再结算。',
      testid: 'checkout-problem', actions: [back, { href: '#/category/all', label: '浏览全部商品' }],
    });
  }
  return problemState({ title: '无法结算', text: `${errorText(err)}。`, testid: 'checkout-problem', actions: [back] });
}

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
    ctx.render(problemState({
      title: '请先选择要结算的商品',
      text: '在购物车里勾选商品后点“去结算”，或在商品页点“立即购买”。',
      actions: [{ href: '#/cart', label: '返回购物车' }],
    }));
    return;
  }
  const [preview, addresses] = await Promise.all([
    post('/api/checkout/preview', request).catch((err) => err),
    api('/api/me/addresses'),
  ]);
  if (preview instanceof Error) {
    if (!(preview instanceof ApiError) || preview.status === 401 || isTransient(preview)) throw preview;
    document.title = '无法结算 - 家电之选';
    ctx.render(checkoutProblem(preview, request, ctx.query.get('product')));
    return;
  }
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
      // The pay page takes this one's place: Back from it goes where the shopper came from, not to a
      // checkout whose lines have left the cart.
      go(`#/pay/${enc(order.order_id)}`, { notice: '订单已提交，请尽快支付' }, { replace: true });
    } catch (err) {
      // A definite refusal ends this attempt; the shopper's next try is a new one.
      if ([400, 404, 422].includes(err.status) || err.code === 'insufficient_stock') idempotencyKey = newIdempotencyKey();
      throw err;
    }
  }));
}
