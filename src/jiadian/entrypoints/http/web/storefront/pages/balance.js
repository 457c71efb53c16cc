/* #/user/balance — the wallet. */

import { api } from '../../shared/api.js';
import { html } from '../../shared/html.js';
import { money } from '../../shared/format.js';
import { userLayout } from '../components.js';

export async function render(ctx) {
  document.title = '我的余额 - 家电之选';
  const wallet = await api('/api/me/wallet');
  ctx.render(userLayout('/user/balance', html`
    <section class="panel">
      <h1>我的余额</h1>
      <div class="stats">
        <div class="stat"><span class="muted">账户余额</span><strong class="price big" data-testid="wallet-balance">${money(wallet.balance)}</strong></div>
        <div class="stat"><span class="muted">累计充值</span><strong data-testid="wallet-total-recharged">${money(wallet.total_recharged)}</strong></div>
        <div class="stat"><span class="muted">累计消费</span><strong data-testid="wallet-total-consumed">${money(wallet.total_consumed)}</strong></div>
      </div>
      <p class="muted">余额可在支付订单时使用；充值请联系商城管理员。</p>
    </section>`));
}
