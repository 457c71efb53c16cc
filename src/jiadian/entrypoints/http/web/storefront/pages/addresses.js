/* #/user/addresses?next= — the address book (next: the hash to return to after saving, e.g. checkout). */

import { api, del, post, put } from '../../shared/api.js';
import { attrIf, html, raw } from '../../shared/html.js';
import { $, enc, on } from '../../shared/dom.js';
import { emptyState } from '../../shared/components.js';
import { withBusy } from '../../shared/messages.js';
import { go, withQuery } from '../../shared/router.js';
import { userLayout } from '../components.js';
import { safeNext } from '../session.js';

const ADDRESS_FIELDS = [
  ['recipient', '收货人', 12],
  ['phone', '手机号', 11],
  ['province', '省份', 15],
  ['city', '城市', 10],
  ['county', '区县', 10],
  ['detail', '详细地址', 40],
];

export async function render(ctx) {
  document.title = '收货地址 - 家电之选';
  const next = safeNext(ctx.query.get('next'));
  const addresses = await api('/api/me/addresses');
  if (!ctx.render(userLayout('/user/addresses', html`
    <section class="panel">
      <div class="section-head">
        <h1>收货地址</h1>
        <button type="button" class="button" data-testid="address-add">新增收货地址</button>
      </div>
      ${next ? html`<p><a href="${next}" class="button secondary">返回结算</a></p>` : ''}
      <form class="form address-form" id="address-form" data-testid="address-form" hidden novalidate></form>
      <ul class="address-list" data-testid="address-list">
        ${addresses.map(addressItem)}
      </ul>
      ${addresses.length ? '' : emptyState('还没有收货地址，请新增一个')}
    </section>`))) return;

  const form = $('#address-form', ctx.view);
  const byId = (id) => addresses.find((a) => String(a.id) === String(id));
  on(ctx.view, '[data-testid="address-add"]', 'click', () => openAddressForm(ctx, form, null, next));
  on(ctx.view, '[data-testid="address-edit"]', 'click', (event, button) => openAddressForm(ctx, form, byId(button.dataset.id), next));
  on(ctx.view, '[data-testid="address-delete"]', 'click', (event, button) => withBusy(button, async () => {
    await del(`/api/me/addresses/${enc(button.dataset.id)}`);
    go(withQuery({}), { notice: '地址已删除' });
  }));
  on(ctx.view, '[data-testid="address-set-default"]', 'click', (event, button) => withBusy(button, async () => {
    await put(`/api/me/addresses/${enc(button.dataset.id)}`, { ...addressBody(byId(button.dataset.id)), is_default: true });
    go(withQuery({}), { notice: '已设为默认地址' });
  }));
  if (!addresses.length) openAddressForm(ctx, form, null, next);
}

function addressItem(address) {
  return html`
    <li class="address-item${address.is_default ? ' default' : ''}" data-testid="address-item" data-address-id="${address.id}">
      <div>
        <strong>${address.recipient}</strong> <span>${address.phone}</span>
        ${address.is_default ? html`<span class="tag" data-testid="address-default-badge">默认</span>` : ''}
        <p>${address.province} ${address.city} ${address.county} ${address.detail}</p>
      </div>
      <div class="address-actions">
        ${address.is_default ? '' : html`<button type="button" class="link-button" data-id="${address.id}" data-testid="address-set-default">设为默认</button>`}
        <button type="button" class="link-button" data-id="${address.id}" data-testid="address-edit">编辑</button>
        <button type="button" class="link-button danger" data-id="${address.id}" data-testid="address-delete">删除</button>
      </div>
    </li>`;
}

function addressBody(address) {
  const body = {};
  for (const [key] of ADDRESS_FIELDS) body[key] = address[key];
  body.is_default = Boolean(address.is_default);
  return body;
}

function openAddressForm(ctx, form, address, next) {
  form.innerHTML = String(html`
    <h2>${address ? '编辑收货地址' : '新增收货地址'}</h2>
    <div class="form-grid">
      ${ADDRESS_FIELDS.map(([key, label, max]) => html`
        <label class="${key === 'detail' ? 'wide' : ''}">${label}
          <input name="${key}" maxlength="${max}" value="${address ? address[key] ?? '' : ''}" required
                 ${raw(key === 'phone' ? 'type="tel" inputmode="numeric"' : '')} data-testid="address-${key}">
        </label>`)}
    </div>
    <label class="checkbox"><input type="checkbox" name="is_default"${attrIf(address && address.is_default, 'checked')} data-testid="address-is-default"> 设为默认地址</label>
    <div class="actions">
      <button type="submit" class="button" data-testid="address-save">保存地址</button>
      <button type="button" class="button secondary" data-testid="address-cancel">取消</button>
    </div>`);
  form.hidden = false;
  form.elements.recipient.focus();
  on(form, '[data-testid="address-cancel"]', 'click', () => { form.hidden = true; form.innerHTML = ''; });
  form.onsubmit = (event) => {
    event.preventDefault();
    withBusy($('[data-testid="address-save"]', form), async () => {
      const body = {};
      for (const [key] of ADDRESS_FIELDS) body[key] = form.elements[key].value.trim();
      body.is_default = form.elements.is_default.checked;
      if (address) await put(`/api/me/addresses/${enc(address.id)}`, body);
      else await post('/api/me/addresses', body);
      if (next) go(next, { notice: '地址已保存' });
      else go(withQuery({}), { notice: '地址已保存' });
    });
  };
}
