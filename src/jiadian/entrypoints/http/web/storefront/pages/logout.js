/* #/logout — sign out. */

import { html } from '../../shared/html.js';
import { logout } from '../session.js';

export async function render(ctx) {
  ctx.render(html`<p class="loading">正在退出…</p>`);
  await logout();
}
